import type { App } from '@platform/http';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { clientOf } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import { SignInResponse } from '../sessions/schema.ts';
import { uncached } from '../sessions/uncached.ts';
import { identitiesOf, unlinkIdentity } from './identities.ts';
import {
  AuthorizeQuery,
  CallbackQuery,
  IdentityList,
  IdentityParams,
  ProviderList,
  ProviderParams,
  TokenBody,
} from './schema.ts';
import {
  completeAuthorization,
  exchangeLoginCode,
  type OidcDeps,
  startAuthorization,
} from './service.ts';

const bearer = [{ bearer: [] }];
const Redirect = (description: string) => Type.Null({ description });
const Location = Type.Object(
  { url: Type.String({ description: 'Where the browser is to go' }) },
  { description: 'With `format=json`: the redirect as data, for apps that navigate themselves' },
);

/**
 * The contract's 302, whatever the client accepts: test harnesses and API clients send
 * `Accept: application/json` on every request, and once got a 200 here. An app that navigates
 * itself asks for the URL as data with `format=json` (on the callback, an app that intercepts the
 * provider's redirect and calls it itself).
 */
function go(reply: FastifyReply, location: string, asData = false) {
  reply.headers(PRIVATE);
  if (asData) return reply.code(200).send({ url: location });
  return reply.redirect(location, 302);
}
/** Nothing on these answers may be cached or leak through a Referer. */
const PRIVATE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

export function oidcRoutes(app: App, ctx: AuthContext, deps: OidcDeps) {
  app.get(
    '/oauth/providers',
    {
      schema: {
        operationId: 'listOauthProviders',
        tags: ['sign-in providers'],
        summary: 'The OpenID Connect providers one can sign in with',
        security: [],
        response: { 200: ProviderList },
      },
    },
    async () => ({
      items: [...deps.providers.values()].map(({ id, name }) => ({ id, name })),
    }),
  );

  app.get(
    '/oauth/:provider/authorize',
    {
      schema: {
        operationId: 'authorizeWithOauthProvider',
        tags: ['sign-in providers'],
        summary: 'Start signing in with a provider (open this in the browser)',
        description:
          'Redirects to the provider (authorization code flow with PKCE, state and nonce). ' +
          '`redirect_uri` must equal one of `OAUTH_REDIRECT_URIS`. The browser comes back to ' +
          '`redirect_uri?code=…` (or `?error=…`), and the app exchanges the code at `POST /oauth/token`.',
        security: [],
        params: ProviderParams,
        querystring: AuthorizeQuery,
        errors: ['not_found', 'redirect_uri_not_allowed'],
        response: { 200: Location, 302: Redirect('To the provider') },
      },
    },
    async (request, reply) => {
      const location = await startAuthorization(
        ctx,
        deps,
        {
          providerId: request.params.provider,
          redirectUri: request.query.redirect_uri,
          ...(request.query.state ? { state: request.query.state } : {}),
          ...(request.query.code_challenge ? { codeChallenge: request.query.code_challenge } : {}),
        },
        request.log,
      );
      return go(reply, location, request.query.format === 'json');
    },
  );

  app.get(
    '/oauth/:provider/callback',
    {
      schema: {
        operationId: 'completeOauthSignIn',
        tags: ['sign-in providers'],
        summary: 'Where the provider sends the browser back',
        description:
          'Redirects to the `redirect_uri` given at authorize with a one-time `code` (valid 60 s) or ' +
          'with `error` (`access_denied`, `sign_in_failed`, `email_required`, `email_in_use`, `email_not_verified`, …) ' +
          'and the app’s `state`. An unknown, expired or used `state` is 400: there is nowhere safe to go.',
        security: [],
        params: ProviderParams,
        querystring: CallbackQuery,
        errors: ['not_found', 'invalid_state'],
        response: { 200: Location, 302: Redirect('Back to the app') },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams(request.url.split('?')[1] ?? '');
      // The app's, not the provider's: the code exchange must see the parameters as sent.
      query.delete('format');
      const outcome = await completeAuthorization(
        ctx,
        deps,
        {
          providerId: request.params.provider,
          query,
          client: { ip: request.ip, userAgent: request.headers['user-agent'] },
        },
        request.log,
      );
      if (outcome.kind === 'refused') {
        throw problem('invalid_state', outcome.detail);
      }
      return go(reply, outcome.location, request.query.format === 'json');
    },
  );

  app.post(
    '/oauth/token',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      onRequest: uncached,
      schema: {
        operationId: 'exchangeOauthCode',
        tags: ['sign-in providers'],
        summary: 'Exchange the one-time code from the callback for a token pair',
        description:
          'The code is single-use; a second exchange is 400 `invalid_code`. With MFA on, the ' +
          'answer is `{mfa_required: true, mfa_token, methods}` as from `POST /login`. A provider ' +
          'matched to an existing account by its verified email is linked only when the sign-in ' +
          'completes: here, or with MFA on once `POST /login/mfa` passed.',
        security: [],
        body: TokenBody,
        errors: ['invalid_code'],
        response: { 200: SignInResponse },
      },
    },
    async (request) => {
      return exchangeLoginCode(
        ctx,
        {
          code: request.body.code,
          ...(request.body.code_verifier ? { codeVerifier: request.body.code_verifier } : {}),
        },
        { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log },
      );
    },
  );

  app.get(
    '/user/identities',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'listOwnIdentities',
        tags: ['sign-in providers'],
        summary: "The provider accounts linked to the caller's account",
        security: bearer,
        response: { 200: IdentityList },
      },
    },
    async (request) => identitiesOf(ctx, deps, request.principal!.userId),
  );

  app.delete(
    '/user/identities/:id',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'unlinkOwnIdentity',
        tags: ['sign-in providers'],
        summary: 'Unlink a provider account',
        description:
          'Needs a sign-in from the last 15 minutes (else 403 `reauthentication_required`). ' +
          'Refused with 409 `last_sign_in_method` when it is the only way left to sign in.',
        security: bearer,
        params: IdentityParams,
        errors: ['not_found', 'last_sign_in_method', 'reauthentication_required'],
        response: { 204: Type.Null({ description: 'Unlinked' }) },
      },
    },
    async (request, reply) => {
      await unlinkIdentity(ctx, request.principal!, request.params.id, {
        ...clientOf(request),
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );
}
