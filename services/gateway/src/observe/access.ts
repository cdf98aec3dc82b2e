import type { App } from '@platform/http';
import { requestLogIds } from '@platform/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SampleSink } from '../samples/sink.ts';
import type { GatewayMetrics } from './metrics.ts';
import { routeLabel } from './route-label.ts';

const LOGS_INFO = new Set(['trace', 'debug', 'info']);
/** NGINX's status for a request whose client closed the connection before the answer. */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * One JSON line per request (who, what, where it went, how it ended, how long it took), the
 * duration histogram, and a performance sample for every proxied request. Health probes and
 * scrapes are left out: they would drown the rest.
 */
export function accessLog(app: App, options: { metrics: GatewayMetrics; samples: SampleSink }) {
  const { metrics, samples } = options;
  /** `gone`: its client went away before the answer was written out (no onResponse follows). */
  const record = (request: FastifyRequest, reply: FastifyReply, gone = false) => {
    const proxied = request.proxied;
    let service = proxied?.service;
    let url: string | undefined;
    // Fastify builds `routeOptions` afresh on every read: proxied requests skip it.
    if (!service) {
      const options = request.routeOptions;
      url = options.url;
      if (url === '/health' || url?.startsWith('/health/')) return;
      service = options.config.service;
    }
    const route = service ? serviceRoute(request, reply) : (url ?? 'unmatched');
    const durationMs = Math.round(reply.elapsedTime * 100) / 100;
    const userId = request.principal?.userId;
    // As NGINX logs it: 499 when nothing of the answer was sent, else the status that was.
    const status = gone && !reply.raw.headersSent ? CLIENT_CLOSED_REQUEST : reply.statusCode;
    if (LOGS_INFO.has(app.log.level)) {
      app.log.info(
        {
          request_id: request.id,
          user_id: userId ?? null,
          method: request.method,
          route,
          path: request.url.split('?', 1)[0],
          // Not `service`: every line of the gateway's logger already has `service: "gateway"`,
          // and a second key of that name made the line JSON that parsers read differently
          // (the last one wins in most, Elasticsearch refuses the document).
          upstream_service: service ?? null,
          upstream: proxied?.upstream ?? null,
          ...(proxied?.cached ? { cache: 'hit' } : {}),
          status,
          ...(gone ? { client_gone: true } : {}),
          duration_ms: durationMs,
          remote_address: clientAddress(request),
          // The gateway's span, when traced (no async context carries it here: @platform/telemetry).
          ...requestLogIds(request.raw),
        },
        'request',
      );
    }
    // Measured are answers: one cut short took what its client gave it, not the service's time.
    if (!service || gone) return;
    metrics.duration.observe(
      {
        service,
        route,
        method: request.method,
        status_code: String(reply.statusCode),
      },
      durationMs / 1000,
    );
    samples.push({
      service,
      route,
      method: request.method,
      status: reply.statusCode,
      duration_ms: durationMs,
      timestamp: new Date().toISOString(),
      request_id: request.id,
      ...(userId ? { user_id: userId } : {}),
      ...(proxied?.upstream ? { upstream: proxied.upstream } : {}),
    });
  };
  // A callback hook, not an async one: no promise and no extra tick per request.
  app.addHook('onResponse', (request, reply, done) => {
    try {
      record(request, reply);
    } catch (err) {
      request.log.error({ err }, 'recording a request failed');
    }
    done();
  });
  return {
    /**
     * Its line for a request whose client went away before the answer was written out (the
     * proxy gives the exchange with the service up): Fastify's onResponse waits for a 'finish'
     * that never comes, so it had none. Once per request: the proxy calls it on the answer's
     * close without that finish, and only then.
     */
    clientGone(request: FastifyRequest, reply: FastifyReply) {
      try {
        record(request, reply, true);
      } catch (err) {
        request.log.error({ err }, 'recording a request failed');
      }
    },
  };
}

/**
 * The service's own route template when it named one; a 404 it answered without one is a path
 * it has no route for (`unmatched`: one series, however many paths scanners try); otherwise
 * (the gateway answered itself: 502, 504…) the bounded label guessed from the path.
 */
function serviceRoute(request: FastifyRequest, reply: FastifyReply): string {
  const named = request.proxied?.route;
  if (named) return named;
  if (reply.statusCode === 404 && request.proxied?.upstream) return 'unmatched';
  return routeLabel(request.url);
}

/** The client's address; once a client has gone, its socket (and so `request.ip`) may be too. */
function clientAddress(request: FastifyRequest): string | undefined {
  try {
    return request.ip;
  } catch {
    return undefined;
  }
}
