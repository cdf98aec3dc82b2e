import { defineCodes, problemFactory } from '@platform/http';

/**
 * Every problem code auth answers besides the generic ones (@platform/http GENERIC_CODES).
 * Clients branch on these; the OpenAPI document lists them per operation (schema.errors).
 */
export const codes = defineCodes({
  invalid_credentials: {
    status: 401,
    title: 'Invalid credentials',
    description: 'The email, username or password is incorrect (the same answer for every case).',
  },
  invalid_refresh_token: {
    status: 401,
    title: 'Invalid refresh token',
    description: 'The refresh token is unknown, spent, revoked or expired; sign in again.',
  },
  current_password_incorrect: {
    status: 403,
    title: 'Current password incorrect',
    description: 'A sensitive change needs the current password, and the one sent is wrong.',
  },
  invalid_token: {
    status: 400,
    title: 'Invalid token',
    description: 'The mailed token is invalid, expired or already used.',
  },
  email_taken: {
    status: 409,
    title: 'Email taken',
    description: 'Another account uses this email address.',
  },
  username_taken: {
    status: 409,
    title: 'Username taken',
    description: 'Another account uses this username.',
  },
  last_admin: {
    status: 409,
    title: 'Last admin',
    description: 'The last admin cannot lose the admin role.',
  },
  permission_taken: {
    status: 409,
    title: 'Permission taken',
    description: 'Some declared permissions belong to another service.',
  },
  image_unreadable: {
    status: 422,
    title: 'Image unreadable',
    description: 'The image is damaged or has more pixels than accepted.',
  },
  invalid_mfa_token: {
    status: 401,
    title: 'Invalid MFA token',
    description:
      'The sign-in waiting for a second factor has expired or was completed; sign in again.',
  },
  redirect_uri_not_allowed: {
    status: 400,
    title: 'Redirect URI not allowed',
    description: 'redirect_uri is not exactly one of OAUTH_REDIRECT_URIS.',
  },
  invalid_state: {
    status: 400,
    title: 'Invalid state',
    description: 'The provider sign-in is unknown, expired or was already completed.',
  },
  invalid_code: {
    status: 400,
    title: 'Invalid code',
    description:
      'The one-time code is unknown, expired or already used (or the PKCE verifier is wrong).',
  },
  last_sign_in_method: {
    status: 409,
    title: 'Last sign-in method',
    description: 'Removing it would leave the account with no way to sign in.',
  },
  reauthentication_required: {
    status: 403,
    title: 'Re-authentication required',
    description: 'The sign-in is too old for this change; sign in again.',
  },
  invalid_passkey: {
    status: 400,
    title: 'Invalid passkey',
    description: 'The passkey answer does not verify or its challenge is unknown, expired or used.',
  },
  passkey_exists: {
    status: 409,
    title: 'Passkey exists',
    description: 'This passkey is registered already.',
  },
  too_many_passkeys: {
    status: 409,
    title: 'Too many passkeys',
    description: 'The account has the most passkeys allowed.',
  },
  invalid_mfa_code: {
    status: 401,
    title: 'Invalid MFA code',
    description:
      'At sign-in, the TOTP or recovery code is incorrect, expired or already used; try another.',
  },
  mfa_code_incorrect: {
    status: 403,
    title: 'MFA code incorrect',
    description:
      'On a signed-in request, the TOTP or recovery code is incorrect, expired or already used.',
  },
  mfa_already_enabled: {
    status: 409,
    title: 'MFA already enabled',
    description: 'Two-factor sign-in is already on; turn it off before setting up another app.',
  },
  mfa_not_enabled: {
    status: 409,
    title: 'MFA not enabled',
    description: 'Two-factor sign-in is not on for this account.',
  },
  mfa_enrolment_missing: {
    status: 409,
    title: 'MFA enrolment missing',
    description: 'No pending authenticator secret; start with POST /user/mfa/totp.',
  },
});

export type AuthCode = keyof typeof codes;

/** `problem('email_taken', detail, { errors })`: status from the table. */
export const problem = problemFactory(codes);
