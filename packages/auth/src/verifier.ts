import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';

/** Who made a request, as proven by a verified access token. */
export interface Principal {
  userId: string;
  sessionId: string;
  roles: string[];
  permissions: string[];
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export interface VerifierOptions {
  /** Where public keys come from: `remoteKeys(jwksUrl)` in services, local keys in auth. */
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /**
   * The longest lifetime (exp - iat, seconds) accepted. Auth issues much shorter tokens; a longer
   * one was minted with a stolen key or by a bug, and would outlive every revocation entry.
   */
  maxLifetime: number;
  /** True when the session was revoked (logout, password change) before the token expired. */
  isRevoked: (sessionId: string) => boolean | Promise<boolean>;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

/** Only asymmetric signatures are accepted: `alg: none` and HS256-with-the-public-key fail here. */
const ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256'];

/** Seconds of clock difference between auth and a verifier that are forgiven (exp, iat). */
const CLOCK_TOLERANCE = 5;

/** Verified tokens remembered by their exact text; a bounded map, oldest dropped first. */
const CACHE_SIZE = 10_000;

export function createVerifier(options: VerifierOptions): TokenVerifier {
  // A client sends the same token on every request for its 15 minutes: checking the signature
  // once is enough. Only the identical string hits, so a tampered token never does; the
  // revocation check below still runs on every request.
  const cache = new Map<string, { principal: Principal; expiresAt: number }>();

  async function verifySignature(token: string): Promise<Principal> {
    const hit = cache.get(token);
    if (hit && hit.expiresAt > Date.now()) return hit.principal;
    cache.delete(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti'],
        typ: 'at+jwt',
        clockTolerance: CLOCK_TOLERANCE,
        // Also refuses an iat in the future (beyond the tolerance): no token is issued ahead.
        maxTokenAge: options.maxLifetime,
      }));
    } catch (error) {
      throw new TokenError(describe(error));
    }
    if ((payload.exp ?? 0) - (payload.iat ?? 0) > options.maxLifetime) {
      throw new TokenError('token lifetime too long');
    }
    // Frozen: one principal object now serves many requests.
    const principal = Object.freeze(toPrincipal(payload));
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(token, { principal, expiresAt: (payload.exp ?? 0) * 1000 });
    return principal;
  }

  async function verify(token: string): Promise<Principal> {
    const principal = await verifySignature(token);
    if (await options.isRevoked(principal.sessionId)) throw new TokenError('token revoked');
    return principal;
  }

  // Nearly every request is a token seen before, checked against an in-memory revocation set:
  // answered with one settled promise instead of a chain of async calls. An asynchronous check
  // is awaited here, once: a promise dropped for a second call would, failing, be an unhandled
  // rejection (the process's end).
  return (token) => {
    const hit = cache.get(token);
    if (!hit || hit.expiresAt <= Date.now()) return verify(token);
    let revoked: boolean | Promise<boolean>;
    try {
      revoked = options.isRevoked(hit.principal.sessionId);
    } catch (error) {
      return Promise.reject(error);
    }
    if (revoked === false) return Promise.resolve(hit.principal);
    if (revoked === true) return Promise.reject(new TokenError('token revoked'));
    return Promise.resolve(revoked).then((r) => {
      if (r) throw new TokenError('token revoked');
      return hit.principal;
    });
  };
}

function toPrincipal(payload: JWTPayload): Principal {
  const { sub, sid, roles, permissions } = payload as JWTPayload & Record<string, unknown>;
  if (typeof sub !== 'string' || typeof sid !== 'string') throw new TokenError('malformed claims');
  const strings = (v: unknown) =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : [];
  return { userId: sub, sessionId: sid, roles: strings(roles), permissions: strings(permissions) };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `invalid claim ${error.claim}`;
  if (error instanceof errors.JOSEError) return error.code;
  return 'invalid token';
}

/**
 * Keys from the auth service's JWKS, cached; an unknown `kid` (after a key rotation) triggers a
 * refetch, at most once per cooldown so a flood of forged kids cannot hammer the auth service.
 */
export function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: 5_000,
    cacheMaxAge: 10 * 60_000,
    timeoutDuration: 3_000,
  });
}
