import { Type } from 'typebox';

export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Username = Type.String({
  minLength: 3,
  maxLength: 32,
  pattern: '^[A-Za-z0-9_.-]+$',
  'x-pattern-message': 'must be letters, digits, dots, dashes or underscores',
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
  mfa_enabled: Type.Boolean({ description: 'Sign-in asks for a TOTP code' }),
  created_at: Type.String({ format: 'date-time' }),
});

export const UserEnvelope = Type.Object({ user: User });

export const UserIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
