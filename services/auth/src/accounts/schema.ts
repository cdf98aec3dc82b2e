import { Type } from 'typebox';
import { Email, Password, UserEnvelope, Username } from '../users/schema.ts';

export const RegisterBody = Type.Object(
  { email: Email, username: Username, password: Password },
  { additionalProperties: false },
);

export const VerifyEmailBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export { UserEnvelope };
