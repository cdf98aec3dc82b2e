import { Type } from 'typebox';

const CurrentPassword = Type.String({ minLength: 1, maxLength: 256 });
const Code = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'The 6-digit code the authenticator app shows',
});

export const EnrolBody = Type.Object(
  { current_password: CurrentPassword },
  { additionalProperties: false },
);

export const Enrolment = Type.Object({
  secret: Type.String({ description: 'The base32 TOTP secret, for typing into an app by hand' }),
  otpauth_url: Type.String({
    description: 'otpauth://totp/… (SHA-1, 6 digits, 30 s), for a QR code an app scans',
  }),
});

export const VerifyBody = Type.Object({ code: Code }, { additionalProperties: false });

export const RecoveryCodes = Type.Object({
  recovery_codes: Type.Array(Type.String(), {
    minItems: 10,
    maxItems: 10,
    description: 'Each works once in place of a code; shown only now',
  }),
});

export const DisableBody = Type.Object(
  {
    current_password: CurrentPassword,
    code: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'A current TOTP code, or one of the recovery codes',
    }),
  },
  { additionalProperties: false },
);

export const RegenerateBody = Type.Object(
  {
    current_password: CurrentPassword,
    code: Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        'A current 6-digit code from the authenticator app; a recovery code is not accepted here',
    }),
  },
  { additionalProperties: false },
);
