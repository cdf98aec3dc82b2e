import { Type } from 'typebox';

export const ProviderParams = Type.Object({
  provider: Type.String({
    pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
    'x-pattern-message':
      'must be a provider id: a lower-case letter or digit, then up to 31 lower-case letters, digits, _ or -',
    description: 'A provider id',
  }),
});

export const ProviderList = Type.Object({
  items: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
});

export const AuthorizeQuery = Type.Object(
  {
    redirect_uri: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Where the browser returns; exactly one of OAUTH_REDIRECT_URIS',
    }),
    state: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: "The app's own value, handed back unchanged on redirect_uri",
      }),
    ),
    code_challenge: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{43}$',
        'x-pattern-message':
          'must be an S256 code challenge: 43 characters of base64url (letters, digits, _ or -)',
        description:
          "The app's PKCE challenge (S256): POST /oauth/token then needs the matching code_verifier",
      }),
    ),
    code_challenge_method: Type.Optional(Type.Literal('S256')),
    format: Type.Optional(
      Type.Literal('json', {
        description:
          'json: answer 200 `{url}` instead of the 302, for apps that navigate themselves',
      }),
    ),
  },
  { additionalProperties: false },
);

/** What providers send back; they add parameters of their own (iss, session_state, scope…). */
export const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 1024 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    format: Type.Optional(
      Type.Literal('json', {
        description:
          'json: answer 200 `{url}` instead of the 302, for an app that intercepts the provider’s redirect (a web view) and calls this itself; added by the app, not the provider',
      }),
    ),
  },
  { additionalProperties: Type.String({ maxLength: 4096 }) },
);

export const TokenBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 256, description: 'The code from the callback' }),
    code_verifier: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9._~-]{43,128}$',
        'x-pattern-message': 'must be a code verifier: 43 to 128 letters, digits, . _ ~ or -',
        description: 'Required when the authorize request carried a code_challenge',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Identity = Type.Object({
  id: Type.String({ format: 'uuid' }),
  provider: Type.String(),
  provider_name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const IdentityList = Type.Object({ items: Type.Array(Identity) });

export const IdentityParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
