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

/** Nullable strings as one JSON-Schema type: ajv's type coercion would turn a null in an anyOf into "". */
const nullableText = (maxLength: number, extra: Record<string, unknown> = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength, ...extra });

export const UpdateUserBody = Type.Object(
  {
    username: Type.Optional(Username),
    email: Type.Optional(Email),
    current_password: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'Required with email' }),
    ),
    display_name: Type.Optional(
      nullableText(100, {
        pattern: '^[^\\u0000-\\u001f\\u007f]*$',
        'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
        description: 'Up to 100 characters without control characters; null clears it',
      }),
    ),
    bio: Type.Optional(
      nullableText(2000, { description: 'Up to 2000 characters; null clears it' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const DeleteUserBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

export { UserEnvelope };
