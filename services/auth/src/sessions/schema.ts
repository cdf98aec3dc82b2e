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
