import { createHash, timingSafeEqual } from 'node:crypto';
import { problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';

/** The header a service sends on `/internal/*` calls, carrying SERVICE_TOKEN. */
export const SERVICE_TOKEN_HEADER = 'x-service-token';

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
