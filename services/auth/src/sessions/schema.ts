import { Type } from 'typebox';
import { Email, Password, User, Username } from '../users/schema.ts';

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

export { Password };
