import { Type } from 'typebox';

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: '3 to 32 letters, digits, dots, dashes or underscores',
});
export const Password = Type.String({ minLength: 8, maxLength: 256 });

export const User = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  email_verified: Type.Boolean(),
  pending_email: Type.Union([Type.String(), Type.Null()], {
    description: 'A new address waiting to be confirmed from its mailbox',
  }),
  username: Type.String(),
  display_name: Type.Union([Type.String(), Type.Null()]),
  bio: Type.Union([Type.String(), Type.Null()]),
  avatar_url: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  permissions: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
});

export const UserEnvelope = Type.Object({ user: User });

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
        description: 'Up to 100 characters without control characters; null clears it',
      }),
    ),
    bio: Type.Optional(
      nullableText(2000, { description: 'Up to 2000 characters; null clears it' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UserIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
