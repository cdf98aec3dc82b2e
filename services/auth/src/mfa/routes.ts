import type { App } from '@platform/http';
import { Type } from 'typebox';
import { clientOf } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import {
  DisableBody,
  EnrolBody,
  Enrolment,
  RecoveryCodes,
  RegenerateBody,
  VerifyBody,
} from './schema.ts';
import { disableMfa, regenerateRecoveryCodes, startEnrolment, verifyEnrolment } from './service.ts';

const bearer = [{ bearer: [] }];

/** A TOTP secret or recovery codes: shown once, kept by no cache (as RFC 6749 asks of tokens). */
const NO_STORE = { 'cache-control': 'no-store' } as const;

export function mfaRoutes(app: App, ctx: AuthContext) {
  app.post(
    '/user/mfa/totp',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['mfa'],
        operationId: 'startTotpEnrolment',
        errors: ['current_password_incorrect', 'mfa_already_enabled'],
        summary: 'Start setting up an authenticator app (TOTP); needs the current password',
        description:
          'Returns a new secret and its otpauth:// URL. Sign-in does not change until a code ' +
          'from the app reaches POST /user/mfa/totp/verify; asking again replaces the secret. ' +
          '409 `mfa_already_enabled` when MFA is on.',
        security: bearer,
        body: EnrolBody,
        response: { 200: Enrolment },
      },
    },
    async (request, reply) => {
      reply.headers(NO_STORE);
      return startEnrolment(ctx, request.principal!, request.body.current_password, {
        ...clientOf(request),
        log: request.log,
      });
    },
  );

  app.post(
    '/user/mfa/totp/verify',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['mfa'],
        operationId: 'verifyTotpEnrolment',
        errors: ['mfa_code_incorrect', 'mfa_enrolment_missing', 'mfa_already_enabled'],
        summary: 'Turn MFA on with a first code from the app; returns ten recovery codes',
        description:
          'The recovery codes are shown this once (only hashes are kept). Every other session ' +
          'of the user is signed out. A wrong code is 403 `mfa_code_incorrect` and counts like a ' +
          'wrong password; 409 `mfa_enrolment_missing` without POST /user/mfa/totp first.',
        security: bearer,
        body: VerifyBody,
        response: { 200: RecoveryCodes },
      },
    },
    async (request, reply) => {
      reply.headers(NO_STORE);
      return verifyEnrolment(ctx, request.principal!, request.body.code, {
        ...clientOf(request),
        log: request.log,
      });
    },
  );

  app.delete(
    '/user/mfa/totp',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['mfa'],
        operationId: 'disableTotp',
        errors: ['current_password_incorrect', 'mfa_code_incorrect', 'mfa_not_enabled'],
        summary: 'Turn MFA off; needs the current password and a code (or a recovery code)',
        description:
          'A wrong password or code is 403 (`mfa_code_incorrect` for the code) and counts like a ' +
          'wrong password; 409 `mfa_not_enabled` when MFA is off.',
        security: bearer,
        body: DisableBody,
        response: { 204: Type.Null({ description: 'MFA is off' }) },
      },
    },
    async (request, reply) => {
      await disableMfa(ctx, request.principal!, request.body, {
        ...clientOf(request),
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/user/mfa/recovery-codes',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['mfa'],
        operationId: 'regenerateRecoveryCodes',
        errors: ['current_password_incorrect', 'mfa_code_incorrect', 'mfa_not_enabled'],
        summary: 'Replace all recovery codes with ten new ones; needs the password and a TOTP code',
        description:
          'Every earlier recovery code, used or not, stops working at once; the new ones are ' +
          'shown this once (only hashes are kept). `code` must come from the authenticator app: ' +
          'a recovery code is refused, so a stolen list cannot be rotated by whoever holds it. A ' +
          'wrong password or code is 403 and counts like a wrong password; 409 `mfa_not_enabled` ' +
          'when MFA is off.',
        security: bearer,
        body: RegenerateBody,
        response: { 200: RecoveryCodes },
      },
    },
    async (request, reply) => {
      reply.headers(NO_STORE);
      return regenerateRecoveryCodes(ctx, request.principal!, request.body, {
        ...clientOf(request),
        log: request.log,
      });
    },
  );
}
