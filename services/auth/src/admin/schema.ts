import { Type } from 'typebox';
import { User } from '../users/schema.ts';

export const ListUsersQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        maxLength: 100,
        description: 'Case-insensitive substring of email, username or display name',
      }),
    ),
    role: Type.Optional(Type.String({ maxLength: 64, description: 'Only users with this role' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'next_cursor of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UserPage = Type.Object({
  items: Type.Array(User),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Null on the last page',
  }),
});

export const RoleName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-z][a-z0-9_-]*$',
  'x-pattern-message':
    'must be a role name: a lower-case letter, then lower-case letters, digits, _ or -',
});

export const SetRolesBody = Type.Object(
  {
    roles: Type.Array(RoleName, {
      minItems: 1,
      maxItems: 32,
      uniqueItems: true,
      description: 'The complete set of roles the user should have',
    }),
  },
  { additionalProperties: false },
);

export const ResetMfaBody = Type.Object(
  {
    current_password: Type.String({
      minLength: 1,
      maxLength: 256,
      description: "The calling admin's own password (not the user's)",
    }),
  },
  { additionalProperties: false },
);
