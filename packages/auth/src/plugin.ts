import { problems } from '@platform/http';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import { type Principal, TokenError, type TokenVerifier } from './verifier.ts';

/**
 * A route's onRequest/preHandler check, callback-style: it runs on every request of its routes,
 * and an async one would cost two promises each time.
 */
export type Guard = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carried a valid access token; null for anonymous requests. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /**
     * The route takes HTTP Basic credentials, which its handler checks (analytics' write keys):
     * such a header passes as it is, without a principal.
     */
    basicAuth?: boolean;
    /**
     * The route hands out tokens (sign-in, refresh, sign-up) and reads no principal: a Bearer
     * token, most often the expired or revoked one the client is replacing, is ignored.
     */
    ignoresToken?: boolean;
    /**
     * The route reads a principal when the token is good and works without one otherwise
     * (`POST /logout` with the refresh token): a bad, expired or revoked token leaves the request
     * without a principal instead of answering 401.
     */
    tokenOptional?: boolean;
  }
  interface FastifyInstance {
    /** preHandler: 401 unless the request is signed in. */
    authenticate: Guard;
    /** preHandler factory: 401 unless signed in, 403 unless the token grants `permission`. */
    authorize(permission: string): Guard;
  }
}

/**
 * Verifies `Authorization: Bearer` on every request. A bad, expired or revoked token is a 401
 * even on public routes: a client holding one has a bug or is an attacker, and should know.
 * Except where tokens are handed out (`ignoresToken`): a client that attaches its token to every
 * call still sends the old one there, and a 401 left it no way to get a new one.
 */
export const authentication = fp<{
  verify: TokenVerifier;
  /**
   * Runs before a refused token's 401 (the gateway counts the request against its rate limit
   * here: its limiter runs later, so a refused request was never counted). Throwing answers
   * with that error instead (a 429).
   */
  refused?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /**
   * The 401's detail for HTTP Basic on a route that takes none (the gateway names the routes that
   * do): a Segment library left at its default path (`/v1/batch`) sends its write key as Basic,
   * and "must be Bearer" sent its user looking for a token.
   */
  basicElsewhere?: string;
}>(
  async (app: FastifyInstance, { verify, refused, basicElsewhere }) => {
    app.decorateRequest('principal', null);
    // Callback-style: most requests carry no token, and an async hook would cost them two
    // promises each (with tracing on Node 20, each pays AsyncLocalStorage's hook).
    app.addHook('onRequest', (request, reply, done) => {
      const refuse = (detail: string) => {
        if (!refused) return done(problems.unauthorized(detail));
        refused(request, reply).then(
          () => done(problems.unauthorized(detail)),
          (error: Error) => done(error),
        );
      };
      const header = request.headers.authorization;
      if (!header || request.routeOptions.config?.ignoresToken) return done();
      const [scheme, token] = header.split(' ');
      const basic = scheme?.toLowerCase() === 'basic';
      if (basic && request.routeOptions.config?.basicAuth) return done();
      const optional = request.routeOptions.config?.tokenOptional === true;
      if (scheme?.toLowerCase() !== 'bearer' || !token) {
        if (optional) return done();
        return refuse(
          (basic && basicElsewhere) || 'The Authorization header must be "Bearer <token>".',
        );
      }
      verify(token).then(
        (principal) => {
          request.principal = principal;
          done();
        },
        (error: unknown) => {
          if (!(error instanceof TokenError)) return done(error as Error);
          request.log.info({ reason: error.message }, 'access token refused');
          if (optional) return done();
          refuse('The access token is invalid, expired or revoked.');
        },
      );
    });
    const authenticate: Guard = (request, _reply, done) => {
      done(request.principal ? undefined : problems.unauthorized());
    };
    app.decorate('authenticate', authenticate);
    app.decorate('authorize', (permission: string): Guard => {
      // Names the permission, and the usual cause when the role holds it all the same: a token
      // signed before it was granted (or the service declared it) keeps what it had.
      const detail =
        `This needs the permission ${permission}, which your access token does not carry ` +
        '(one signed before your role was given it does not: refresh it or sign in again).';
      return (request, _reply, done) => {
        if (!request.principal) done(problems.unauthorized());
        else if (!request.principal.permissions.includes(permission)) {
          done(problems.forbidden(detail));
        } else done();
      };
    });
  },
  { name: 'authentication' },
);
