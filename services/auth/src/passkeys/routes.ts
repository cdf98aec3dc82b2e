import type { App } from '@platform/http';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { Type } from 'typebox';
import { clientOf } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { TokenPair } from '../sessions/schema.ts';
import { uncached } from '../sessions/uncached.ts';
import { passkeyPage } from './page.ts';
import {
  CreationOptions,
  LoginOptionsBody,
  PasskeyEnvelope,
  PasskeyList,
  PasskeyLoginBody,
  PasskeyParams,
  RegisterBody,
  RequestOptions,
} from './schema.ts';
import {
  type PasskeyDeps,
  passkeysOf,
  registerPasskey,
  registrationOptions,
  removePasskey,
} from './service.ts';
import { loginOptions, loginWithPasskey } from './sign-in.ts';

const bearer = [{ bearer: [] }];
const tags = ['passkeys'];

export function passkeyRoutes(app: App, ctx: AuthContext, deps: PasskeyDeps) {
  app.post(
    '/user/passkeys/registration-options',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'passkeyRegistrationOptions',
        tags,
        summary: 'Options for creating a passkey (navigator.credentials.create)',
        description:
          'Needs a sign-in from the last 15 minutes (else 403 `reauthentication_required`). The ' +
          'challenge is single-use and valid for 5 minutes.',
        security: bearer,
        errors: ['reauthentication_required', 'too_many_passkeys'],
        response: { 200: CreationOptions },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return registrationOptions(ctx, deps, request.principal!);
    },
  );

  app.post(
    '/user/passkeys',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'registerPasskey',
        tags,
        summary: 'Add a passkey: the browser’s answer to the registration options',
        description:
          'Needs a sign-in from the last 15 minutes, as the options do (else 403 ' +
          '`reauthentication_required`).',
        security: bearer,
        body: RegisterBody,
        errors: [
          'invalid_passkey',
          'passkey_exists',
          'reauthentication_required',
          'too_many_passkeys',
        ],
        response: { 201: PasskeyEnvelope },
      },
    },
    async (request, reply) => {
      const passkey = await registerPasskey(
        ctx,
        deps,
        request.principal!,
        {
          response: request.body.response as RegistrationResponseJSON,
          ...(request.body.name ? { name: request.body.name } : {}),
        },
        { ...clientOf(request), log: request.log },
      );
      return reply.code(201).send({ passkey });
    },
  );

  app.get(
    '/user/passkeys',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'listOwnPasskeys',
        tags,
        summary: "The caller's passkeys, with their names and last use",
        security: bearer,
        response: { 200: PasskeyList },
      },
    },
    async (request) => passkeysOf(ctx, request.principal!.userId),
  );

  app.delete(
    '/user/passkeys/:id',
    {
      onRequest: app.authenticate,
      schema: {
        operationId: 'removeOwnPasskey',
        tags,
        summary: 'Remove a passkey',
        description:
          'Needs a sign-in from the last 15 minutes (else 403 `reauthentication_required`). ' +
          'Refused with 409 `last_sign_in_method` when it is the only way left to sign in.',
        security: bearer,
        params: PasskeyParams,
        errors: ['not_found', 'last_sign_in_method', 'reauthentication_required'],
        response: { 204: Type.Null({ description: 'Removed' }) },
      },
    },
    async (request, reply) => {
      await removePasskey(ctx, request.principal!, request.params.id, {
        ...clientOf(request),
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/login/passkey/options',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      // The body is optional, but Fastify validates a missing one as `undefined`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        operationId: 'passkeyLoginOptions',
        tags,
        summary: 'Options for signing in with a passkey (navigator.credentials.get)',
        description:
          'Without `email` any discoverable passkey may answer; with it, only that account’s. ' +
          'Send `challenge_id` back with the answer to `POST /login/passkey`.',
        security: [],
        body: LoginOptionsBody,
        response: { 200: RequestOptions },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return loginOptions(ctx, deps, request.body?.email ? { email: request.body.email } : {});
    },
  );

  app.post(
    '/login/passkey',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      onRequest: uncached,
      schema: {
        operationId: 'loginWithPasskey',
        tags,
        summary: 'Sign in with a passkey',
        description:
          'The answer to the options of `POST /login/passkey/options`. The passkey must verify the ' +
          'user (PIN or biometrics), so it counts as both factors: no MFA step follows. Any failure ' +
          'is 401 `invalid_credentials`; each challenge is answered once.',
        security: [],
        body: PasskeyLoginBody,
        errors: ['invalid_credentials'],
        response: { 200: TokenPair },
      },
    },
    async (request) =>
      loginWithPasskey(
        ctx,
        deps,
        {
          challengeId: request.body.challenge_id,
          response: request.body.response as AuthenticationResponseJSON,
        },
        { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log },
      ),
  );

  passkeyPage(app);
}
