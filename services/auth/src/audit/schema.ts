import { Type } from 'typebox';

/** The types the contract names; features may record only these (recordAudit checks the type). */
export const AUDIT_TYPES = [
  'login.succeeded',
  'login.failed',
  'logout',
  'token.reuse_detected',
  'password.changed',
  'password.reset',
  'email.change_requested',
  'email.changed',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.recovery_code_used',
  'mfa.recovery_codes_regenerated',
  'session.revoked',
  'roles.changed',
  'account.deleted',
  'identity.linked',
  'identity.unlinked',
  'passkey.added',
  'passkey.removed',
] as const;

export type AuditType = (typeof AUDIT_TYPES)[number];

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const AuditEvent = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'One of the documented event types, e.g. login.failed' }),
  user_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'Whose account it concerns; null for a failed sign-in to no account',
  }),
  actor_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'Who did it (the user or an admin); null when unknown',
  }),
  ip: NullableString,
  user_agent: NullableString,
  at: Type.String({ format: 'date-time' }),
  details: Type.Object({}, { additionalProperties: true, description: 'Per type; no secrets' }),
});

export const AuditPage = Type.Object({
  items: Type.Array(AuditEvent),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Null on the last page',
  }),
});

/** A date alone, as a date picker gives it (service.ts reads it as a whole UTC day). */
export const DATE_ONLY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

/** A bound of the range: a date-time, or a date alone. */
const bound = (description: string) =>
  Type.Union(
    [
      Type.String({ format: 'date-time' }),
      Type.String({ pattern: DATE_ONLY, 'x-pattern-message': 'must be a date written YYYY-MM-DD' }),
    ],
    { description },
  );

const pageAndRange = {
  type: Type.Optional(
    Type.String({
      maxLength: 64,
      pattern: '^[a-z_]+(\\.[a-z_]+)*$',
      'x-pattern-message':
        'must be an event type such as login.failed: lower-case letters and _, in parts joined by dots',
      description: 'Only this type',
    }),
  ),
  from: Type.Optional(bound('At or after (inclusive); a date alone from its start (UTC)')),
  to: Type.Optional(
    bound('Before (exclusive); a date alone up to its end (UTC), that day included'),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 100, description: 'next_cursor of the previous page' }),
  ),
};

export const OwnAuditQuery = Type.Object(pageAndRange, { additionalProperties: false });

export const AuditQuery = Type.Object(
  {
    user_id: Type.Optional(Type.String({ format: 'uuid', description: 'Only this user’s events' })),
    ...pageAndRange,
  },
  { additionalProperties: false },
);
