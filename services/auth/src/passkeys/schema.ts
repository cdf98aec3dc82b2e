import { Type } from 'typebox';

const B64 = (maxLength: number) =>
  Type.String({
    pattern: '^[A-Za-z0-9_-]*={0,2}$',
    'x-pattern-message': 'must be base64url: letters, digits, _ or -, then at most two =',
    maxLength,
  });
// Optional: nothing reads it, and an authenticator that ran no extension may leave it out.
const Extensions = Type.Optional(
  Type.Object({}, { additionalProperties: true, description: 'As the browser gave them' }),
);

/** `PublicKeyCredential.toJSON()` of `navigator.credentials.create()`. */
export const RegistrationResponse = Type.Object({
  id: B64(1024),
  rawId: B64(1024),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(8192),
    attestationObject: B64(65536),
    authenticatorData: Type.Optional(B64(65536)),
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(B64(8192)),
  }),
  authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  clientExtensionResults: Extensions,
});

/** `PublicKeyCredential.toJSON()` of `navigator.credentials.get()`. */
export const AuthenticationResponse = Type.Object({
  id: B64(1024),
  rawId: B64(1024),
  type: Type.Literal('public-key'),
  response: Type.Object({
    clientDataJSON: B64(8192),
    authenticatorData: B64(65536),
    signature: B64(8192),
    userHandle: Type.Optional(B64(1024)),
  }),
  authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  clientExtensionResults: Extensions,
});

export const RegisterBody = Type.Object(
  {
    response: RegistrationResponse,
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Shown in the list' }),
    ),
  },
  { additionalProperties: false },
);

export const Passkey = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const PasskeyEnvelope = Type.Object({ passkey: Passkey });
export const PasskeyList = Type.Object({ items: Type.Array(Passkey) });
export const PasskeyParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** WebAuthn's JSON options, passed to `PublicKeyCredential.parse…OptionsFromJSON`. */
export const CreationOptions = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
  },
  { additionalProperties: true, description: 'PublicKeyCredentialCreationOptionsJSON' },
);

export const RequestOptions = Type.Object(
  {
    challenge_id: Type.String({ format: 'uuid', description: 'Send back with the answer' }),
    challenge: Type.String(),
    rpId: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'PublicKeyCredentialRequestOptionsJSON' },
);

export const LoginOptionsBody = Type.Object(
  { email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })) },
  { additionalProperties: false },
);

export const PasskeyLoginBody = Type.Object(
  {
    challenge_id: Type.String({ format: 'uuid' }),
    response: AuthenticationResponse,
  },
  { additionalProperties: false },
);
