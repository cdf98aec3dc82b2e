/**
 * What the standard OpenTelemetry variables ask for, read without loading any of the SDK: with no
 * OTLP endpoint set, tracing is off and nothing of OpenTelemetry is imported.
 */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  protocol: OtlpProtocol;
  /** OTEL_SERVICE_NAME, else the service's manifest name (SERVICE_NAME). */
  serviceName: string;
  /**
   * The process takes requests from outside (the gateway): it makes the sampling decision for
   * each trace instead of following the client's `traceparent` flags (see sampling.ts).
   */
  edge: boolean;
}

/** The services that face clients; every other one follows the sampling decision they send. */
const EDGE_SERVICES = new Set(['gateway']);

const PROTOCOLS: readonly string[] = ['http/protobuf', 'http/json'];

export class TracingSettingsError extends Error {
  override name = 'TracingSettingsError';
}

const given = (env: NodeJS.ProcessEnv, name: string) => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

/** undefined when tracing is off; throws TracingSettingsError (one line) on a malformed setting. */
export function tracingSettings(env: NodeJS.ProcessEnv = process.env): TracingSettings | undefined {
  if (given(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporters = given(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporters === 'none') return undefined;
  if (exporters && exporters !== 'otlp') {
    throw new TracingSettingsError(
      `OTEL_TRACES_EXPORTER is invalid: expected otlp or none (got ${exporters})`,
    );
  }
  const endpoint =
    given(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? given(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!endpoint) return undefined;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    throw new TracingSettingsError(
      'OTEL_EXPORTER_OTLP_ENDPOINT is invalid: expected an http(s) URL of an OTLP/HTTP receiver',
    );
  }
  const sampling = samplerProblem(env);
  if (sampling) throw new TracingSettingsError(sampling);
  const protocol =
    given(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    given(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf';
  if (!PROTOCOLS.includes(protocol)) {
    throw new TracingSettingsError(
      `OTEL_EXPORTER_OTLP_PROTOCOL is invalid: expected http/protobuf or http/json (got ${protocol}; grpc is not supported)`,
    );
  }
  const manifestName =
    given(env, 'SERVICE_NAME') ??
    // Started by hand or by a test: services/<name>/src/server.ts names it.
    /services[/\\]([a-z][a-z0-9-]*)[/\\]src[/\\]server\.[jt]s$/.exec(process.argv[1] ?? '')?.[1];
  const serviceName = given(env, 'OTEL_SERVICE_NAME') ?? manifestName ?? 'unknown_service:node';
  return {
    protocol: protocol as OtlpProtocol,
    serviceName,
    edge: manifestName !== undefined && EDGE_SERVICES.has(manifestName),
  };
}

/** The span sources a service has, by the names OTEL_NODE_*_INSTRUMENTATIONS use. */
export const INSTRUMENTATIONS: readonly string[] = ['http', 'undici', 'pg', 'pino'];

/**
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS, as in
 * @opentelemetry/auto-instrumentations-node: comma-separated names. `unknown` holds the enabled
 * names no service has (`express`, `fs`, copied from another setup): those would otherwise turn
 * off, without a word, every span source the list does not name. Unknown disabled names are
 * harmless (nothing to turn off) and common in copied settings (`fs`), so they pass.
 */
export function instrumentationChoice(env: NodeJS.ProcessEnv = process.env): {
  wanted: (name: string) => boolean;
  unknown: string[];
} {
  const list = (name: string) =>
    env[name]
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = new Set(list('OTEL_NODE_DISABLED_INSTRUMENTATIONS'));
  return {
    wanted: (name) => (!enabled || enabled.includes(name)) && !disabled.has(name),
    unknown: (enabled ?? []).filter((name) => !INSTRUMENTATIONS.includes(name)),
  };
}

/** The warning start-up prints for `unknown` (instrumentationChoice), or undefined. */
export function unknownInstrumentationsWarning(unknown: readonly string[]): string | undefined {
  if (unknown.length === 0) return undefined;
  return (
    `OTEL_NODE_ENABLED_INSTRUMENTATIONS names ${unknown.join(', ')}, which no service here has ` +
    `(it has ${INSTRUMENTATIONS.join(', ')}); ignored, and only the names it has are enabled`
  );
}

/** The samplers the SDK knows by name (OTEL_TRACES_SAMPLER). */
export const SAMPLERS: readonly string[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** A ratio from 0 to 1 as OTEL_TRACES_SAMPLER_ARG writes it. */
export const RATIO = /^\s*(0(\.\d*)?|1(\.0*)?|\.\d+)\s*$/;

/**
 * What is wrong with the sampler variables, in one line. The SDK takes a sampler it does not know
 * (`traceidratio_parentbased`) or a ratio out of range (`10`, `10%`) without a word and records
 * every trace: a deployment meant to keep one in ten kept them all.
 */
export function samplerProblem(env: SamplerSettings): string | undefined {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim();
  if (sampler && !SAMPLERS.includes(sampler))
    return `OTEL_TRACES_SAMPLER is invalid: expected one of ${SAMPLERS.join(', ')}`;
  const ratio = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (ratio && sampler?.endsWith('traceidratio') && !RATIO.test(ratio))
    return 'OTEL_TRACES_SAMPLER_ARG is invalid: expected a ratio from 0 to 1 (0.1 keeps one trace in ten)';
  return undefined;
}

/** The two sampler variables, from process.env or a service's configuration read from it. */
export interface SamplerSettings {
  OTEL_TRACES_SAMPLER?: string | undefined;
  OTEL_TRACES_SAMPLER_ARG?: string | undefined;
}

/**
 * The share of traces OTEL_TRACES_SAMPLER (and _ARG) asks to record where a trace starts, read
 * as the SDK reads them (parentbased_always_on by default, a missing or out-of-range ratio is 1).
 */
export function rootRatio(env: SamplerSettings = process.env): number {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  if (sampler.endsWith('always_off')) return 0;
  if (!sampler.endsWith('traceidratio')) return 1;
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG?.trim() || Number.NaN);
  return ratio >= 0 && ratio <= 1 ? ratio : 1;
}
