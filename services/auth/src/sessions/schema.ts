import { Type } from 'typebox';
import { Email, User, Username } from '../users/schema.ts';

/** Either `email` or `username`; checked in the route (a schema union confuses ajv's stripping). */
export const LoginBody = Type.Object(
  {
    email: Type.Optional(Email),
    username: Type.Optional(Username),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const TokenPair = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: User,
});

const RefreshToken = Type.String({ minLength: 1, maxLength: 256 });

export const RefreshBody = Type.Object(
  { refresh_token: RefreshToken },
  { additionalProperties: false },
);

/** The refresh token of another of the caller's sessions (a second device) to end as well. */
export const LogoutBody = Type.Object(
  { refresh_token: Type.Optional(RefreshToken) },
  { additionalProperties: false },
);

/** Which sessions `/logout` ends, as Supabase Auth's `signOut({scope})` names them. */
export const LogoutQuery = Type.Object(
  {
    scope: Type.Union([Type.Literal('local'), Type.Literal('others'), Type.Literal('global')], {
      default: 'local',
      description:
        '`local`: this session (and the one of `refresh_token`); `others`: every other session ' +
        'of the caller, this one stays; `global`: all of them. `others` and `global` need the ' +
        'access token.',
    }),
  },
  { additionalProperties: false },
);

export const MfaRequiredResponse = Type.Object(
  {
    mfa_required: Type.Literal(true),
    mfa_token: Type.String({
      description: 'Send it to POST /login/mfa with a code, within minutes',
    }),
    methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery_code')])),
  },
  { description: 'The password was right; the account has MFA on and needs a second factor' },
);

/** Either a token pair or, with MFA on, a second-factor challenge. */
export const SignInResponse = Type.Union([TokenPair, MfaRequiredResponse]);

const MfaToken = Type.String({ minLength: 1, maxLength: 256 });

/** `{mfa_token, code}` or `{mfa_token, recovery_code}`; exactly one is checked in the route. */
export const MfaLoginBody = Type.Object(
  {
    mfa_token: MfaToken,
    code: Type.Optional(
      Type.String({ minLength: 1, maxLength: 16, description: 'The 6-digit TOTP code' }),
    ),
    recovery_code: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'One of the recovery codes' }),
    ),
  },
  { additionalProperties: false },
);

const Nullable = (schema: ReturnType<typeof Type.String>) => Type.Union([schema, Type.Null()]);

export const SessionList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      created_at: Type.String({ format: 'date-time', description: 'Sign-in' }),
      last_used_at: Type.String({
        format: 'date-time',
        description: 'Sign-in or last refresh (access-token use is not tracked)',
      }),
      ip: Nullable(Type.String()),
      user_agent: Nullable(Type.String()),
      current: Type.Boolean({ description: 'The session of the token making this request' }),
    }),
  ),
});

export const SessionParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
