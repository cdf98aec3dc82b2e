import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What RFC 6749 §5.1 asks of every answer carrying tokens: no browser, proxy or CDN keeps a copy.
 * Also on a sign-in's `mfa_token` answer and on errors, which set the header before validation.
 */
export const TOKEN_RESPONSE_HEADERS = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** `onRequest` of the routes that hand out tokens. */
export async function uncached(_request: FastifyRequest, reply: FastifyReply) {
  reply.headers(TOKEN_RESPONSE_HEADERS);
}
