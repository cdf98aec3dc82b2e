import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { rootRatio } from './settings.ts';

/** Records `ratio` of what it is asked about, by a coin toss rather than by the trace id. */
class CoinSampler implements Sampler {
  constructor(private readonly ratio: number) {}
  shouldSample(): SamplingResult {
    const sampled = this.ratio >= 1 || (this.ratio > 0 && Math.random() < this.ratio);
    return {
      decision: sampled ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD,
    };
  }
  toString() {
    return `CoinSampler{${this.ratio}}`;
  }
}

/**
 * The gateway's sampler: it decides for the whole trace. A request that comes with a
 * `traceparent` keeps its trace id, but its sampled flag is the client's word, and a client must
 * not be able to make every request of its own recorded (or hide one): the gateway samples those
 * at the configured ratio too, by a coin toss (trace ids are the client's choice as well). The
 * spans it starts itself follow it; the services behind follow the flag it sends them (the SDK's
 * default parent-based sampler), so one decision holds across every hop.
 */
export function edgeSampler(env: NodeJS.ProcessEnv = process.env): Sampler {
  const ratio = rootRatio(env);
  const root =
    ratio >= 1
      ? new AlwaysOnSampler()
      : ratio <= 0
        ? new AlwaysOffSampler()
        : new TraceIdRatioBasedSampler(ratio);
  const remote = new CoinSampler(ratio);
  return new ParentBasedSampler({
    root,
    remoteParentSampled: remote,
    remoteParentNotSampled: remote,
  });
}
