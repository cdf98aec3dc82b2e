import formats from 'ajv-formats/dist/formats.js';
import type { AuthContext } from '../context.ts';
import { type OidcProvider, openidClient } from './providers.ts';

/** The provider's `redirect_uri` for us: the callback behind the gateway. */
export const callbackUrl = (ctx: AuthContext, providerId: string) =>
  `${ctx.config.PUBLIC_URL.replace(/\/$/, '')}/accounts/v1/oauth/${providerId}/callback`;

export interface Claims {
  sub: string;
  email?: string;
  emailVerified: boolean;
  preferredUsername?: string;
  name?: string;
}

/**
 * Trades the provider's code (with our PKCE verifier) for tokens; openid-client checks the ID
 * token's signature, issuer, audience, expiry and nonce, and the response's state and issuer.
 * Claims missing from the ID token come from the userinfo endpoint, for the same subject.
 */
export async function verifiedClaims(
  ctx: AuthContext,
  provider: OidcProvider,
  flow: { codeVerifier: string; nonce: string },
  query: URLSearchParams,
): Promise<Claims> {
  const configuration = await provider.configuration();
  const client = await openidClient();
  const current = new URL(callbackUrl(ctx, provider.id));
  for (const [key, value] of query) current.searchParams.append(key, value);
  const tokens = await client.authorizationCodeGrant(configuration, current, {
    pkceCodeVerifier: flow.codeVerifier,
    expectedNonce: flow.nonce,
    expectedState: query.get('state') ?? undefined,
    idTokenExpected: true,
  });
  const idToken = tokens.claims();
  if (!idToken) throw new Error('no ID token');
  let merged: Record<string, unknown> = { ...idToken };
  if (typeof idToken.email !== 'string' && configuration.serverMetadata().userinfo_endpoint) {
    const info = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
    merged = { ...info, ...idToken };
  }
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  return {
    sub: idToken.sub,
    email: address(merged.email),
    // Some providers send "true" as a string; anything else is not an assertion.
    emailVerified: merged.email_verified === true || merged.email_verified === 'true',
    preferredUsername: text(merged.preferred_username),
    name: text(merged.name),
  };
}

/**
 * The `email` format `POST /register` and `PATCH /user` validate with (Fastify's ajv-formats, full
 * mode): one plain ASCII address, a dotted domain; no spaces, line breaks, lists, comments, display
 * names, control characters or other scripts.
 */
const EMAIL_FORMAT = formats.fullFormats.email;

/**
 * The provider's `email` claim, when it is an address `POST /register` would accept (at most 254
 * characters of that format); anything else counts as no email. It becomes the account's address
 * and a mail's recipient: `a@example.com\r\nBcc: b@example.net` or `"x" <b@…>` from a provider
 * that lets its users set the claim would have sent that account's mail elsewhere; a NUL made the
 * callback a 500 (PostgreSQL refuses it); and an address only this way in could open
 * (`\u212Aate@…`, the Kelvin sign, lower-cases to `kate@…` in JavaScript and in a UTF-8
 * PostgreSQL; `exаmple.com` with a Cyrillic а; a right-to-left override) found or became another
 * account's address: `PATCH /user` takes a change only in letter case without a mailed proof.
 */
function address(value: unknown): string | undefined {
  return typeof value === 'string' &&
    value.length <= 254 &&
    EMAIL_FORMAT instanceof RegExp &&
    EMAIL_FORMAT.test(value)
    ? value
    : undefined;
}
