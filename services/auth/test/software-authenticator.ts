import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

// A WebAuthn authenticator in software (ES256, "none" attestation), enough to drive the server's
// registration and sign-in checks without a browser. The browser test uses Chromium's own.

type Cbor = number | string | Buffer | Map<number | string, Cbor>;

function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  if (length < 65536) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(length, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}

/** The few CBOR types an attestation object needs. */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  const parts = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const b64 = (b: Buffer) => b.toString('base64url');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

export interface AuthenticatorOptions {
  rpId?: string;
  origin?: string;
  /** Whether it reports user verification (PIN, biometrics). */
  userVerified?: boolean;
}

export function softwareAuthenticator(defaults: AuthenticatorOptions = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(16);
  let counter = 0;
  let userHandle: Buffer | undefined;

  const authData = (rpId: string, flags: number, attested?: Buffer) => {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, attested ?? Buffer.alloc(0)]);
  };
  const flagsFor = (o: AuthenticatorOptions) => 0x01 | ((o.userVerified ?? true) ? 0x04 : 0);
  const clientData = (type: string, challenge: string, origin: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  return {
    credentialId: b64(credentialId),
    /** Sets the signature counter, e.g. back to a lower value as a clone would. */
    setCounter(value: number) {
      counter = value;
    },
    /** `credential.toJSON()` of `navigator.credentials.create()` for these options. */
    create(
      options: { challenge: string; rp: { id?: string }; user: { id: string } },
      o: AuthenticatorOptions = {},
    ) {
      const opts = { ...defaults, ...o };
      const rpId = opts.rpId ?? options.rp.id ?? 'localhost';
      userHandle = Buffer.from(options.user.id, 'base64url');
      const cose = cbor(
        new Map<number, Cbor>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, Buffer.from(jwk.x!, 'base64url')],
          [-3, Buffer.from(jwk.y!, 'base64url')],
        ]),
      );
      const length = Buffer.alloc(2);
      length.writeUInt16BE(credentialId.length);
      const attested = Buffer.concat([Buffer.alloc(16), length, credentialId, cose]);
      const attestationObject = cbor(
        new Map<string, Cbor>([
          ['fmt', 'none'],
          ['attStmt', new Map()],
          ['authData', authData(rpId, flagsFor(opts) | 0x40, attested)],
        ]),
      );
      return {
        id: b64(credentialId),
        rawId: b64(credentialId),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64(
            clientData('webauthn.create', options.challenge, opts.origin ?? 'http://localhost'),
          ),
          attestationObject: b64(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
      };
    },
    /** `credential.toJSON()` of `navigator.credentials.get()`; each use counts up. */
    get(options: { challenge: string; rpId?: string }, o: AuthenticatorOptions = {}) {
      const opts = { ...defaults, ...o };
      counter += 1;
      const data = authData(opts.rpId ?? options.rpId ?? 'localhost', flagsFor(opts));
      const client = clientData(
        'webauthn.get',
        options.challenge,
        opts.origin ?? 'http://localhost',
      );
      const signature = sign('sha256', Buffer.concat([data, sha256(client)]), privateKey);
      return {
        id: b64(credentialId),
        rawId: b64(credentialId),
        type: 'public-key' as const,
        response: {
          clientDataJSON: b64(client),
          authenticatorData: b64(data),
          signature: b64(signature),
          ...(userHandle ? { userHandle: b64(userHandle) } : {}),
        },
        clientExtensionResults: {},
      };
    },
  };
}
