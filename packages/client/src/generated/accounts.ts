export interface paths {
  '/accounts/v1/.well-known/jwks.json': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Public keys that verify access tokens */
    get: operations['getJwks'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/register': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Create an account; a verification token is mailed */
    post: operations['register'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/verify-email': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Confirm an email address with the token mailed to it
     * @description A token from registration verifies the email; one from an email change makes the pending address the email (409 if another account took it meanwhile).
     */
    post: operations['verifyEmail'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/change-password': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Change the signed-in user's password; their other sessions are signed out */
    post: operations['changePassword'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/reset-password': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Mail a single-use password reset token, if an account uses this email */
    post: operations['requestPasswordReset'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/reset-password/confirm': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Set a new password with a mailed reset token; every session is signed out */
    post: operations['confirmPasswordReset'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/login': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sign in with email or username and password
     * @description With MFA on, the answer is `{mfa_required: true, mfa_token, methods}` instead of tokens; finish at POST /login/mfa.
     */
    post: operations['login'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/login/mfa': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Finish a sign-in with a TOTP code or a recovery code
     * @description The `mfa_token` from /login works once and for a few minutes. A code is refused a second time, and so is a recovery code. Wrong codes count like wrong passwords (429 with Retry-After); `invalid_mfa_token` means signing in again.
     */
    post: operations['completeMfaLogin'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/refresh': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Trade a refresh token for a new pair; the old refresh token is spent
     * @description Presenting an already spent refresh token revokes every token of its session.
     */
    post: operations['refreshTokens'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/logout': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * End the caller's session (and optionally another of theirs)
     * @description Its access and refresh tokens are refused everywhere within a second.
     */
    post: operations['logout'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/sessions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The signed-in user's live sessions, most recently used first */
    get: operations['listOwnSessions'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/sessions/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * End one of the signed-in user’s sessions
     * @description Its access and refresh tokens are refused everywhere within a second. Another user's session, an ended one or an unknown id: 404.
     */
    delete: operations['endOwnSession'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The signed-in user */
    get: operations['getCurrentUser'];
    put?: never;
    post?: never;
    /**
     * Delete the signed-in user's account
     * @description Needs `current_password` (wrong: 403, throttled like sign-ins). Removes the account, its sessions (refused everywhere within a second), avatar and personal data; main deletes the user's posts and analytics unlinks their events. Email and username are free again. The last admin cannot delete their account (409).
     */
    delete: operations['deleteOwnAccount'];
    options?: never;
    head?: never;
    /**
     * Change the signed-in user's profile
     * @description An email change needs `current_password` and stays in `pending_email` until the token mailed to the new address is sent to `POST /verify-email`; the current address is told. Wrong passwords are throttled like sign-ins (429); email changes are limited per account.
     */
    patch: operations['updateCurrentUser'];
    trace?: never;
  };
  '/accounts/v1/users': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Users, oldest first, filtered by text or role (permission users:manage) */
    get: operations['listUsers'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/users/{id}/roles': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Replace a user's roles
     * @description Taking a role away signs the user out everywhere (their tokens are refused within a second); roles given show in their tokens at the next refresh.
     */
    put: operations['replaceUserRoles'];
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/users/{id}/mfa': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Turn a user's two-factor sign-in off (lost device and recovery codes)
     * @description Removes the TOTP factor and every recovery code, and signs the user out everywhere (their tokens are refused within a second): the next sign-in asks only for the password. The user is mailed a notice; audited as `mfa.disabled` with the admin as actor. 409 `mfa_not_enabled` when MFA is off.
     */
    delete: operations['resetUserMfa'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/users/{id}/avatar': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A user's avatar (public); answers 304 to a matching If-None-Match */
    get: operations['getUserAvatar'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/avatar': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    /**
     * Upload an avatar (multipart field `file`: PNG, JPEG or WebP up to 5 MB)
     * @description 413 over 5 MB; 415 not PNG, JPEG or WebP; 422 damaged, or more than 25000000 pixels (refused from the header, before decoding); 429 over 10 uploads per user per 3600 s; 503 while too many images are being processed (both with Retry-After).
     */
    put: operations['uploadCurrentUserAvatar'];
    post?: never;
    /** Remove the signed-in user's avatar */
    delete: operations['deleteCurrentUserAvatar'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/oauth/providers': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The OpenID Connect providers one can sign in with */
    get: operations['listOauthProviders'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/oauth/{provider}/authorize': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Start signing in with a provider (open this in the browser)
     * @description Redirects to the provider (authorization code flow with PKCE, state and nonce). `redirect_uri` must equal one of `OAUTH_REDIRECT_URIS`. The browser comes back to `redirect_uri?code=…` (or `?error=…`), and the app exchanges the code at `POST /oauth/token`.
     */
    get: operations['authorizeWithOauthProvider'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/oauth/{provider}/callback': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Where the provider sends the browser back
     * @description Redirects to the `redirect_uri` given at authorize with a one-time `code` (valid 60 s) or with `error` (`access_denied`, `sign_in_failed`, `email_required`, `email_in_use`, `email_not_verified`, …) and the app’s `state`. An unknown, expired or used `state` is 400: there is nowhere safe to go.
     */
    get: operations['completeOauthSignIn'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/oauth/token': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Exchange the one-time code from the callback for a token pair
     * @description The code is single-use; a second exchange is 400 `invalid_code`. With MFA on, the answer is `{mfa_required: true, mfa_token, methods}` as from `POST /login`.
     */
    post: operations['exchangeOauthCode'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/identities': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The provider accounts linked to the caller's account */
    get: operations['listOwnIdentities'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/identities/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Unlink a provider account
     * @description Refused with 409 `last_sign_in_method` when it is the only way left to sign in.
     */
    delete: operations['unlinkOwnIdentity'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/passkeys/registration-options': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Options for creating a passkey (navigator.credentials.create)
     * @description Needs a sign-in from the last 15 minutes (else 403 `reauthentication_required`). The challenge is single-use and valid for 5 minutes.
     */
    post: operations['passkeyRegistrationOptions'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/passkeys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's passkeys, with their names and last use */
    get: operations['listOwnPasskeys'];
    put?: never;
    /** Add a passkey: the browser’s answer to the registration options */
    post: operations['registerPasskey'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/passkeys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Remove a passkey
     * @description Refused with 409 `last_sign_in_method` when it is the only way left to sign in.
     */
    delete: operations['removeOwnPasskey'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/login/passkey/options': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Options for signing in with a passkey (navigator.credentials.get)
     * @description Without `email` any discoverable passkey may answer; with it, only that account’s. Send `challenge_id` back with the answer to `POST /login/passkey`.
     */
    post: operations['passkeyLoginOptions'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/login/passkey': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sign in with a passkey
     * @description The answer to the options of `POST /login/passkey/options`. The passkey must verify the user (PIN or biometrics), so it counts as both factors: no MFA step follows. Any failure is 401 `invalid_credentials`; each challenge is answered once.
     */
    post: operations['loginWithPasskey'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/mfa/totp': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Start setting up an authenticator app (TOTP); needs the current password
     * @description Returns a new secret and its otpauth:// URL. Sign-in does not change until a code from the app reaches POST /user/mfa/totp/verify; asking again replaces the secret. 409 `mfa_already_enabled` when MFA is on.
     */
    post: operations['startTotpEnrolment'];
    /**
     * Turn MFA off; needs the current password and a code (or a recovery code)
     * @description A wrong password or code is 403 (`mfa_code_incorrect` for the code) and counts like a wrong password; 409 `mfa_not_enabled` when MFA is off.
     */
    delete: operations['disableTotp'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/mfa/totp/verify': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Turn MFA on with a first code from the app; returns ten recovery codes
     * @description The recovery codes are shown this once (only hashes are kept). Every other session of the user is signed out. A wrong code is 403 `mfa_code_incorrect` and counts like a wrong password; 409 `mfa_enrolment_missing` without POST /user/mfa/totp first.
     */
    post: operations['verifyTotpEnrolment'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/mfa/recovery-codes': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Replace all recovery codes with ten new ones; needs the password and a TOTP code
     * @description Every earlier recovery code, used or not, stops working at once; the new ones are shown this once (only hashes are kept). `code` must come from the authenticator app: a recovery code is refused, so a stolen list cannot be rotated by whoever holds it. A wrong password or code is 403 and counts like a wrong password; 409 `mfa_not_enabled` when MFA is off.
     */
    post: operations['regenerateRecoveryCodes'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/user/audit-events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The signed-in user's security events, newest first
     * @description Sign-ins (also failed ones), sign-outs, password, email, MFA and role changes, ended sessions. Kept AUDIT_RETENTION_DAYS (400 by default).
     */
    get: operations['listOwnAuditEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/accounts/v1/audit-events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every security event, newest first, filtered (permission audit:read) */
    get: operations['listAuditEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: never;
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  getJwks: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            keys: {
              [key: string]: unknown;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  register: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** Format: email */
          email: string;
          /** @description 3 to 32 letters, digits, dots, dashes or underscores */
          username: string;
          password: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `email_taken`: Another account uses this email address. `username_taken`: Another account uses this username. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'email_taken' | 'username_taken';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  verifyEmail: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          token: string;
        };
      };
    };
    responses: {
      /** @description Verified */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. `invalid_token`: The mailed token is invalid, expired or already used. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed' | 'invalid_token';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `email_taken`: Another account uses this email address. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'email_taken';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  changePassword: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          current_password: string;
          new_password: string;
        };
      };
    };
    responses: {
      /** @description Password changed */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `current_password_incorrect`: A sensitive change needs the current password, and the one sent is wrong. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'current_password_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  requestPasswordReset: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** Format: email */
          email: string;
        };
      };
    };
    responses: {
      /** @description The same answer whether or not an account uses the email */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            detail: string;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  confirmPasswordReset: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          token: string;
          new_password: string;
        };
      };
    };
    responses: {
      /** @description Password set */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. `invalid_token`: The mailed token is invalid, expired or already used. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed' | 'invalid_token';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  login: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** Format: email */
          email?: string;
          /** @description 3 to 32 letters, digits, dots, dashes or underscores */
          username?: string;
          password: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json':
            | {
                access_token: string;
                refresh_token: string;
                /** @enum {string} */
                token_type: 'Bearer';
                /** @description Seconds until the access token expires */
                expires_in: number;
                user: {
                  /** Format: uuid */
                  id: string;
                  email: string;
                  email_verified: boolean;
                  /** @description A new address waiting to be confirmed from its mailbox */
                  pending_email: string | null;
                  username: string;
                  display_name: string | null;
                  bio: string | null;
                  avatar_url: string | null;
                  roles: string[];
                  permissions: string[];
                  /** @description Sign-in asks for a TOTP code */
                  mfa_enabled: boolean;
                  /** Format: date-time */
                  created_at: string;
                };
              }
            | {
                /** @enum {boolean} */
                mfa_required: true;
                /** @description Send it to POST /login/mfa with a code, within minutes */
                mfa_token: string;
                methods: ('totp' | 'recovery_code')[];
              };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `invalid_credentials`: The email, username or password is incorrect (the same answer for every case). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'invalid_credentials';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  completeMfaLogin: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          mfa_token: string;
          /** @description The 6-digit TOTP code */
          code?: string;
          /** @description One of the recovery codes */
          recovery_code?: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            access_token: string;
            refresh_token: string;
            /** @enum {string} */
            token_type: 'Bearer';
            /** @description Seconds until the access token expires */
            expires_in: number;
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `invalid_mfa_code`: At sign-in, the TOTP or recovery code is incorrect, expired or already used; try another. `invalid_mfa_token`: The sign-in waiting for a second factor has expired or was completed; sign in again. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'invalid_mfa_code' | 'invalid_mfa_token';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  refreshTokens: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          refresh_token: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            access_token: string;
            refresh_token: string;
            /** @enum {string} */
            token_type: 'Bearer';
            /** @description Seconds until the access token expires */
            expires_in: number;
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `invalid_refresh_token`: The refresh token is unknown, spent, revoked or expired; sign in again. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'invalid_refresh_token';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  logout: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          refresh_token?: string;
        };
      };
    };
    responses: {
      /** @description Signed out */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listOwnSessions: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** Format: uuid */
              id: string;
              /**
               * Format: date-time
               * @description Sign-in
               */
              created_at: string;
              /**
               * Format: date-time
               * @description Sign-in or last refresh (access-token use is not tracked)
               */
              last_used_at: string;
              ip: string | null;
              user_agent: string | null;
              /** @description The session of the token making this request */
              current: boolean;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  endOwnSession: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Session ended */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  getCurrentUser: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  deleteOwnAccount: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          current_password: string;
        };
      };
    };
    responses: {
      /** @description Account deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `current_password_incorrect`: A sensitive change needs the current password, and the one sent is wrong. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'current_password_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `last_admin`: The last admin cannot lose the admin role. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'last_admin';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  updateCurrentUser: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description 3 to 32 letters, digits, dots, dashes or underscores */
          username?: string;
          /** Format: email */
          email?: string;
          /** @description Required with email */
          current_password?: string;
          /** @description Up to 100 characters without control characters; null clears it */
          display_name?: string | null;
          /** @description Up to 2000 characters; null clears it */
          bio?: string | null;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `current_password_incorrect`: A sensitive change needs the current password, and the one sent is wrong. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'current_password_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `username_taken`: Another account uses this username. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'username_taken';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listUsers: {
    parameters: {
      query?: {
        /** @description Case-insensitive substring of email, username or display name */
        q?: string;
        /** @description Only users with this role */
        role?: string;
        limit?: number;
        /** @description next_cursor of the previous page */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            }[];
            /** @description Null on the last page */
            next_cursor: string | null;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  replaceUserRoles: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description The complete set of roles the user should have */
          roles: string[];
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `last_admin`: The last admin cannot lose the admin role. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'last_admin';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  resetUserMfa: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description MFA is off and the user is signed out */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `mfa_not_enabled`: Two-factor sign-in is not on for this account. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'mfa_not_enabled';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  getUserAvatar: {
    parameters: {
      query?: {
        /** @description The version in avatar_url; makes it cacheable */
        v?: string;
      };
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The avatar, 256×256 WebP */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'image/webp': string;
        };
      };
      /** @description Not modified */
      304: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  uploadCurrentUserAvatar: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'multipart/form-data': {
          /**
           * Format: binary
           * @description A PNG, JPEG or WebP image of at most 5 MB
           */
          file: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `image_unreadable`: The image is damaged or has more pixels than accepted. */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'image_unreadable';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `service_unavailable`: A dependency is down or overloaded; Retry-After, when present, says when to retry. */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'service_unavailable';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  deleteCurrentUserAvatar: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listOauthProviders: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              id: string;
              name: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  authorizeWithOauthProvider: {
    parameters: {
      query: {
        /** @description Where the browser returns; exactly one of OAUTH_REDIRECT_URIS */
        redirect_uri: string;
        /** @description The app's own value, handed back unchanged on redirect_uri */
        state?: string;
        /** @description The app's PKCE challenge (S256): POST /oauth/token then needs the matching code_verifier */
        code_challenge?: string;
        code_challenge_method?: 'S256';
      };
      header?: never;
      path: {
        /** @description A provider id */
        provider: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description With `Accept: application/json`: the redirect as data, for apps that navigate themselves */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Where the browser is to go */
            url: string;
          };
        };
      };
      /** @description To the provider */
      302: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. `redirect_uri_not_allowed`: redirect_uri is not exactly one of OAUTH_REDIRECT_URIS. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed' | 'redirect_uri_not_allowed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  completeOauthSignIn: {
    parameters: {
      query?: {
        code?: string;
        state?: string;
        error?: string;
      };
      header?: never;
      path: {
        /** @description A provider id */
        provider: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description With `Accept: application/json`: the redirect as data, for apps that navigate themselves */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Where the browser is to go */
            url: string;
          };
        };
      };
      /** @description Back to the app */
      302: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. `invalid_state`: The provider sign-in is unknown, expired or was already completed. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed' | 'invalid_state';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  exchangeOauthCode: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description The code from the callback */
          code: string;
          /** @description Required when the authorize request carried a code_challenge */
          code_verifier?: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json':
            | {
                access_token: string;
                refresh_token: string;
                /** @enum {string} */
                token_type: 'Bearer';
                /** @description Seconds until the access token expires */
                expires_in: number;
                user: {
                  /** Format: uuid */
                  id: string;
                  email: string;
                  email_verified: boolean;
                  /** @description A new address waiting to be confirmed from its mailbox */
                  pending_email: string | null;
                  username: string;
                  display_name: string | null;
                  bio: string | null;
                  avatar_url: string | null;
                  roles: string[];
                  permissions: string[];
                  /** @description Sign-in asks for a TOTP code */
                  mfa_enabled: boolean;
                  /** Format: date-time */
                  created_at: string;
                };
              }
            | {
                /** @enum {boolean} */
                mfa_required: true;
                /** @description Send it to POST /login/mfa with a code, within minutes */
                mfa_token: string;
                methods: ('totp' | 'recovery_code')[];
              };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. `invalid_code`: The one-time code is unknown, expired or already used (or the PKCE verifier is wrong). */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed' | 'invalid_code';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listOwnIdentities: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** Format: uuid */
              id: string;
              provider: string;
              provider_name: string;
              email: string | null;
              /** Format: date-time */
              created_at: string;
              last_used_at: string | null;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  unlinkOwnIdentity: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Unlinked */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `last_sign_in_method`: Removing it would leave the account with no way to sign in. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'last_sign_in_method';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  passkeyRegistrationOptions: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description PublicKeyCredentialCreationOptionsJSON */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            challenge: string;
            rp: {
              id?: string;
              name: string;
            };
            user: {
              id: string;
              name: string;
              displayName: string;
            };
          } & {
            [key: string]: unknown;
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `reauthentication_required`: The sign-in is too old for this change; sign in again. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'reauthentication_required';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `too_many_passkeys`: The account has the most passkeys allowed. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'too_many_passkeys';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listOwnPasskeys: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              /** Format: uuid */
              id: string;
              name: string;
              /** Format: date-time */
              created_at: string;
              last_used_at: string | null;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  registerPasskey: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          response: {
            id: string;
            rawId: string;
            /** @enum {string} */
            type: 'public-key';
            response: {
              clientDataJSON: string;
              attestationObject: string;
              authenticatorData?: string;
              transports?: string[];
              publicKeyAlgorithm?: number;
              publicKey?: string;
            };
            authenticatorAttachment?: string;
            /** @description As the browser gave them */
            clientExtensionResults: {
              [key: string]: unknown;
            };
          };
          /** @description Shown in the list */
          name?: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            passkey: {
              /** Format: uuid */
              id: string;
              name: string;
              /** Format: date-time */
              created_at: string;
              last_used_at: string | null;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. `invalid_passkey`: The passkey answer does not verify or its challenge is unknown, expired or used. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed' | 'invalid_passkey';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `passkey_exists`: This passkey is registered already. `too_many_passkeys`: The account has the most passkeys allowed. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'passkey_exists' | 'too_many_passkeys';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  removeOwnPasskey: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Removed */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `not_found`: No such route or resource, or it is not the caller’s to see. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'not_found';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `last_sign_in_method`: Removing it would leave the account with no way to sign in. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'last_sign_in_method';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  passkeyLoginOptions: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** Format: email */
          email?: string;
        };
      };
    };
    responses: {
      /** @description PublicKeyCredentialRequestOptionsJSON */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /**
             * Format: uuid
             * @description Send back with the answer
             */
            challenge_id: string;
            challenge: string;
            rpId?: string;
          } & {
            [key: string]: unknown;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  loginWithPasskey: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** Format: uuid */
          challenge_id: string;
          response: {
            id: string;
            rawId: string;
            /** @enum {string} */
            type: 'public-key';
            response: {
              clientDataJSON: string;
              authenticatorData: string;
              signature: string;
              userHandle?: string;
            };
            authenticatorAttachment?: string;
            /** @description As the browser gave them */
            clientExtensionResults: {
              [key: string]: unknown;
            };
          };
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            access_token: string;
            refresh_token: string;
            /** @enum {string} */
            token_type: 'Bearer';
            /** @description Seconds until the access token expires */
            expires_in: number;
            user: {
              /** Format: uuid */
              id: string;
              email: string;
              email_verified: boolean;
              /** @description A new address waiting to be confirmed from its mailbox */
              pending_email: string | null;
              username: string;
              display_name: string | null;
              bio: string | null;
              avatar_url: string | null;
              roles: string[];
              permissions: string[];
              /** @description Sign-in asks for a TOTP code */
              mfa_enabled: boolean;
              /** Format: date-time */
              created_at: string;
            };
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `invalid_credentials`: The email, username or password is incorrect (the same answer for every case). */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'invalid_credentials';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  startTotpEnrolment: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          current_password: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description The base32 TOTP secret, for typing into an app by hand */
            secret: string;
            /** @description otpauth://totp/… (SHA-1, 6 digits, 30 s), for a QR code an app scans */
            otpauth_url: string;
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `current_password_incorrect`: A sensitive change needs the current password, and the one sent is wrong. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'current_password_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `mfa_already_enabled`: Two-factor sign-in is already on; turn it off before setting up another app. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'mfa_already_enabled';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  disableTotp: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          current_password: string;
          /** @description A current TOTP code, or one of the recovery codes */
          code: string;
        };
      };
    };
    responses: {
      /** @description MFA is off */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `current_password_incorrect`: A sensitive change needs the current password, and the one sent is wrong. `mfa_code_incorrect`: On a signed-in request, the TOTP or recovery code is incorrect, expired or already used. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'current_password_incorrect' | 'mfa_code_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `mfa_not_enabled`: Two-factor sign-in is not on for this account. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'mfa_not_enabled';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  verifyTotpEnrolment: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** @description The 6-digit code the authenticator app shows */
          code: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Each works once in place of a code; shown only now */
            recovery_codes: string[];
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `mfa_code_incorrect`: On a signed-in request, the TOTP or recovery code is incorrect, expired or already used. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'mfa_code_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `mfa_enrolment_missing`: No pending authenticator secret; start with POST /user/mfa/totp. `mfa_already_enabled`: Two-factor sign-in is already on; turn it off before setting up another app. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'mfa_enrolment_missing' | 'mfa_already_enabled';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  regenerateRecoveryCodes: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          current_password: string;
          /** @description A current 6-digit code from the authenticator app; a recovery code is not accepted here */
          code: string;
        };
      };
    };
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @description Each works once in place of a code; shown only now */
            recovery_codes: string[];
          };
        };
      };
      /** @description `bad_request`: The request cannot be read: malformed JSON, a body cut short or a bad header. `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'bad_request' | 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `current_password_incorrect`: A sensitive change needs the current password, and the one sent is wrong. `mfa_code_incorrect`: On a signed-in request, the TOTP or recovery code is incorrect, expired or already used. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'current_password_incorrect' | 'mfa_code_incorrect';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `mfa_not_enabled`: Two-factor sign-in is not on for this account. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'mfa_not_enabled';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `payload_too_large`: The request body is over the limit of this route. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'payload_too_large';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unsupported_media_type`: The body is not in a format this route accepts. */
      415: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unsupported_media_type';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listOwnAuditEvents: {
    parameters: {
      query?: {
        /** @description Only this type */
        type?: string;
        /** @description At or after (inclusive) */
        from?: string;
        /** @description Before (exclusive) */
        to?: string;
        limit?: number;
        /** @description next_cursor of the previous page */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              id: string;
              /** @description One of the documented event types, e.g. login.failed */
              type: string;
              /** @description Whose account it concerns; null for a failed sign-in to no account */
              user_id: string | null;
              /** @description Who did it (the user or an admin); null when unknown */
              actor_id: string | null;
              ip: string | null;
              user_agent: string | null;
              /** Format: date-time */
              at: string;
              /** @description Per type; no secrets */
              details: {
                [key: string]: unknown;
              };
            }[];
            /** @description Null on the last page */
            next_cursor: string | null;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
  listAuditEvents: {
    parameters: {
      query?: {
        /** @description Only this user’s events */
        user_id?: string;
        /** @description Only this type */
        type?: string;
        /** @description At or after (inclusive) */
        from?: string;
        /** @description Before (exclusive) */
        to?: string;
        limit?: number;
        /** @description next_cursor of the previous page */
        cursor?: string;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Default Response */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            items: {
              id: string;
              /** @description One of the documented event types, e.g. login.failed */
              type: string;
              /** @description Whose account it concerns; null for a failed sign-in to no account */
              user_id: string | null;
              /** @description Who did it (the user or an admin); null when unknown */
              actor_id: string | null;
              ip: string | null;
              user_agent: string | null;
              /** Format: date-time */
              at: string;
              /** @description Per type; no secrets */
              details: {
                [key: string]: unknown;
              };
            }[];
            /** @description Null on the last page */
            next_cursor: string | null;
          };
        };
      };
      /** @description `validation_failed`: Some fields are invalid; `errors` names each field and what is wrong with it. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'validation_failed';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `unauthorized`: A valid access token (or service token) is required and was missing or invalid. */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'unauthorized';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `forbidden`: The caller is authenticated but lacks the permission or ownership this needs. */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'forbidden';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
      /** @description `rate_limited`: Over a rate limit; Retry-After says when to try again. */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': {
            type: string;
            title: string;
            status: number;
            /** @enum {string} */
            code: 'rate_limited';
            detail: string;
            request_id: string;
            /** @description One entry per invalid field (validation_failed and some conflicts). */
            errors?: {
              field: string;
              message: string;
            }[];
          };
        };
      };
    };
  };
}
