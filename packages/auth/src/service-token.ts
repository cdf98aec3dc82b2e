import { createHash, timingSafeEqual } from 'node:crypto';
import { problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';

/** The header a service sends on `/internal/*` calls, carrying SERVICE_TOKEN. */
export const SERVICE_TOKEN_HEADER = 'x-service-token';

/**
 * What an `/internal/*` call answered 401 means: the peer is up and refuses the token, which no
 * retry changes (thrown as a `refusal`: a warning at once, where auth merely down is quiet while
 * the stack starts).
 */
export const SERVICE_TOKEN_REFUSED =
  'the SERVICE_TOKEN set here is not the one auth has (every service needs the same)';

/** preHandler: 401 unless `x-service-token` equals `expected` (compared in constant time). */
export function requireServiceToken(expected: string) {
  // Hashing first gives equal lengths, so timingSafeEqual never throws and length does not leak.
  const want = createHash('sha256').update(expected).digest();
  return async (request: FastifyRequest) => {
    const given = request.headers[SERVICE_TOKEN_HEADER];
    const ok =
      typeof given === 'string' &&
      timingSafeEqual(createHash('sha256').update(given).digest(), want);
    if (!ok) throw problems.unauthorized(`A valid ${SERVICE_TOKEN_HEADER} header is required.`);
  };
}
