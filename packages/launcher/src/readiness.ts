import { setTimeout as sleep } from 'node:timers/promises';
import { LaunchError } from './ports.ts';
import { describeExit, isRunning, type ServiceProcess } from './processes.ts';

const POLL_MS = 200;

/** Polls `/health/ready` until it answers 200; a process that has exited stops the wait. */
export async function waitReady(
  service: ServiceProcess,
  baseUrl: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  /** The checks the last answer that said why named: a poll that timed out at the end says nothing. */
  let failing: string[] | undefined;
  while (Date.now() < deadline) {
    if (!isRunning(service)) {
      const exit = await service.exited;
      throw new LaunchError(
        `${service.name} exited with ${describeExit(exit)} before it was ready.`,
      );
    }
    const answer = await askReady(baseUrl);
    if (answer.ready) return;
    failing = answer.failing ?? failing;
    await sleep(POLL_MS);
  }
  // Its checks' own words: a service waiting on another (its permissions not yet accepted by
  // auth) logs nothing at info for its first minute (outageLog), so "see its log" alone showed
  // nothing.
  const why = failing?.length ? `: ${failing.join('; ')}` : ', no answer';
  throw new LaunchError(
    `${service.name} was not ready within ${timeoutMs / 1000} s (${baseUrl}/health/ready${why}); see its log above.`,
  );
}

interface Answer {
  ready: boolean;
  /** `name: reason` of each check a 503 names as failing. */
  failing?: string[];
}

async function askReady(baseUrl: string, path = '/health/ready'): Promise<Answer> {
  try {
    const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(3000) });
    const text = await response.text();
    if (response.status === 200) return { ready: true };
    return { ready: false, failing: failingChecks(text) ?? [`answered ${response.status}`] };
  } catch {
    return { ready: false };
  }
}

/** How many failing checks the launcher's line names, the rest counted. */
const NAMED_CHECKS = 3;

/** `{"checks": {"permissions": "not declared yet", "db": "ok"}}` → `permissions: not declared yet`. */
function failingChecks(body: string): string[] | undefined {
  try {
    const { status, checks } = JSON.parse(body) as { status?: unknown; checks?: unknown };
    if (!checks || typeof checks !== 'object') return undefined;
    const failing = Object.entries(checks).filter(([, result]) => result !== 'ok');
    if (!failing.length) return typeof status === 'string' ? [oneLine(status, 60)] : undefined;
    // A reason is a check's error message: lines of a validation error, a library's terminal
    // escapes, nothing at all (an AggregateError's). The launcher prints one line.
    const named = failing
      .slice(0, NAMED_CHECKS)
      .map(
        ([name, result]) =>
          `${oneLine(name, 60)}: ${oneLine(String(result), 120) || '(no reason given)'}`,
      );
    const rest = failing.length - named.length;
    return rest > 0 ? [...named, `and ${rest} more`] : named;
  } catch {
    return undefined;
  }
}

/** On one line, without control characters, cut at `max` characters. */
function oneLine(text: string, max: number): string {
  const line = text
    .replace(/\s+/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Waits (at most `timeoutMs`) until the entry point's `GET /health`, the stack as a client sees it
 * through it, answers 200. Every service answering its own `/health/ready` is not yet enough: the
 * gateway routes by its own polls of them (every 2 s), and one that came up since its last poll
 * got a 503 until the next; its `GET /health` checks them now and routes by what it finds.
 */
export async function waitStackReady(entryUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !(await askReady(entryUrl, '/health')).ready) {
    await sleep(POLL_MS);
  }
}
