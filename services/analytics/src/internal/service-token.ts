import { createHash, timingSafeEqual } from 'node:crypto';
import { problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';

/** preHandler: 401 unless `x-service-token` equals SERVICE_TOKEN (compared in constant time). */
export function requireServiceToken(expected: string) {
  // Hashing first gives equal lengths, so timingSafeEqual never throws and length does not leak.
  const want = createHash('sha256').update(expected).digest();
  return async (request: FastifyRequest) => {
    const given = request.headers['x-service-token'];
    const ok =
      typeof given === 'string' &&
      timingSafeEqual(createHash('sha256').update(given).digest(), want);
    if (!ok) throw problems.unauthorized('A valid x-service-token header is required.');
  };
}
