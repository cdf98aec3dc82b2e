import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { KeyStore } from './service.ts';

export function keyRoutes(app: App, keys: KeyStore) {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['keys'],
        operationId: 'getJwks',
        security: [],
        summary: 'Public keys that verify access tokens',
        response: {
          200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
        },
      },
    },
    async (_request, reply) => {
      // Short enough that a rotation reaches every verifier well within the previous key's life.
      reply.header('cache-control', 'public, max-age=300');
      return keys.jwks();
    },
  );
}
