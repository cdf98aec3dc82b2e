import { HttpProblem } from '@platform/http';
import pLimit from 'p-limit';

export interface DecodeQueue {
  /** Runs `task` when a slot is free; 503 at once when `maxQueued` tasks already wait. */
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

/**
 * Bounds image work: at most `concurrency` decodes run at once, at most `maxQueued` wait, and
 * the rest are told to come back (503 with Retry-After) instead of piling up memory.
 */
export function createDecodeQueue(options: {
  concurrency: number;
  maxQueued: number;
  onBusy?: () => void;
}): DecodeQueue {
  const limit = pLimit(options.concurrency);
  return {
    run(task) {
      if (limit.pendingCount >= options.maxQueued) {
        options.onBusy?.();
        return Promise.reject(
          new HttpProblem(503, 'Too many images are being processed; try again shortly.', {
            headers: { 'retry-after': '2' },
          }),
        );
      }
      return limit(task);
    },
    get active() {
      return limit.activeCount;
    },
    get queued() {
      return limit.pendingCount;
    },
  };
}
