import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { loseKeepAliveRace } from './keep-alive-race.ts';

/** One span as a test reads it, whichever OTLP encoding carried it. Ids are lowercase hex. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
}

export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT (exporters post to `<url>/v1/traces`). */
  url: string;
  spans: ReceivedSpan[];
  /** The content types of the export requests received, in order. */
  contentTypes: string[];
  /** Kept-alive connections it ended as an export arrived on them (`cutIdleMs`). */
  cut: number;
  close(): Promise<void>;
}

/**
 * A collector's OTLP/HTTP trace endpoint: `POST /v1/traces` in `application/x-protobuf` or
 * `application/json` (gzip or not), answered with an empty success as a collector does.
 * With `cutIdleMs` it announces no Keep-Alive timeout (the OpenTelemetry Collector, a Go server,
 * announces none) and loses the keep-alive race on every connection quiet that long: it ends the
 * connection as the next export arrives on it, unanswered (keep-alive-race.ts).
 */
export async function startOtlpReceiver(
  options: { cutIdleMs?: number } = {},
): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  let cut = 0;
  const server = createServer((req, res) => {
    // Ended as it arrived (cutIdleMs): nothing of it was received.
    if (req.socket.destroyed) return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!;
      contentTypes.push(type);
      if (type === 'application/json') {
        spans.push(...fromJson(JSON.parse(body.toString('utf8'))));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        spans.push(...fromProtobuf(body));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      }
    });
  });
  if (options.cutIdleMs !== undefined) {
    server.keepAliveTimeout = 0;
    loseKeepAliveRace(server, options.cutIdleMs, () => cut++);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    get cut() {
      return cut;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- OTLP/JSON (ids are hex strings, enums numbers) ---

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface JsonAttribute {
  key: string;
  value: JsonValue;
}

function jsonAttributes(list: JsonAttribute[] | undefined): ReceivedSpan['attributes'] {
  const out: ReceivedSpan['attributes'] = {};
  for (const { key, value } of list ?? []) {
    const v = value.stringValue ?? value.boolValue ?? value.doubleValue ?? value.intValue;
    if (v !== undefined) out[key] = typeof v === 'string' && 'intValue' in value ? Number(v) : v;
  }
  return out;
}

function fromJson(request: {
  resourceSpans?: {
    resource?: { attributes?: JsonAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: JsonAttribute[];
        links?: { traceId: string; spanId: string }[];
      }[];
    }[];
  }[];
}): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(jsonAttributes(rs.resource?.attributes)['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        attributes: jsonAttributes(s.attributes),
        links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
      })),
    );
  });
}

// --- OTLP/protobuf: the few fields of opentelemetry/proto/trace/v1 a test reads ---

type Field = { number: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function* fields(buffer: Buffer): Generator<Field> {
  let at = 0;
  const varint = () => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
      shift += 7n;
    }
  };
  const take = (length: number) => {
    at += length;
    return buffer.subarray(at - length, at);
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { number, varint: varint() };
    else if (wire === 1) yield { number, fixed: take(8) };
    else if (wire === 2) yield { number, bytes: take(Number(varint())) };
    else if (wire === 5) yield { number, fixed: take(4) };
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

const repeated = (buffer: Buffer, number: number) =>
  [...fields(buffer)].filter((f) => f.number === number && f.bytes).map((f) => f.bytes!);
const single = (buffer: Buffer, number: number) =>
  [...fields(buffer)].find((f) => f.number === number);

/** KeyValue {1 key, 2 AnyValue {1 string, 2 bool, 3 int, 4 double}}. */
function protoAttributes(list: Buffer[]): ReceivedSpan['attributes'] {
  const out: ReceivedSpan['attributes'] = {};
  for (const kv of list) {
    const key = single(kv, 1)?.bytes?.toString('utf8');
    const value = single(kv, 2)?.bytes;
    if (key === undefined || !value) continue;
    for (const f of fields(value)) {
      if (f.number === 1 && f.bytes) out[key] = f.bytes.toString('utf8');
      else if (f.number === 2 && f.varint !== undefined) out[key] = f.varint !== 0n;
      else if (f.number === 3 && f.varint !== undefined)
        out[key] = Number(BigInt.asIntN(64, f.varint));
      else if (f.number === 4 && f.fixed) out[key] = f.fixed.readDoubleLE(0);
    }
  }
  return out;
}

/**
 * ExportTraceServiceRequest {1 ResourceSpans {1 Resource {1 attributes}, 2 ScopeSpans {2 Span}}};
 * Span {1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 13 Link {1, 2}}.
 */
function fromProtobuf(body: Buffer): ReceivedSpan[] {
  return repeated(body, 1).flatMap((resourceSpans) => {
    const resource = single(resourceSpans, 1)?.bytes;
    const service = String(
      (resource ? protoAttributes(repeated(resource, 1)) : {})['service.name'] ?? '',
    );
    return repeated(resourceSpans, 2).flatMap((scopeSpans) =>
      repeated(scopeSpans, 2).map((span) => {
        const hex = (n: number) => single(span, n)?.bytes?.toString('hex') ?? '';
        return {
          service,
          traceId: hex(1),
          spanId: hex(2),
          parentSpanId: hex(4),
          name: single(span, 5)?.bytes?.toString('utf8') ?? '',
          kind: Number(single(span, 6)?.varint ?? 0n),
          attributes: protoAttributes(repeated(span, 9)),
          links: repeated(span, 13).map((link) => ({
            traceId: single(link, 1)?.bytes?.toString('hex') ?? '',
            spanId: single(link, 2)?.bytes?.toString('hex') ?? '',
          })),
        };
      }),
    );
  });
}
