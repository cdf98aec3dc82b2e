import { Type } from 'typebox';
import { Email, Password } from '../users/schema.ts';

export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 256 }), new_password: Password },
  { additionalProperties: false },
);

export const ResetPasswordBody = Type.Object({ email: Email }, { additionalProperties: false });

export const ConfirmResetBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128 }), new_password: Password },
  { additionalProperties: false },
);

export const Accepted = Type.Object(
  { detail: Type.String() },
  { description: 'The same answer whether or not an account uses the email' },
);
