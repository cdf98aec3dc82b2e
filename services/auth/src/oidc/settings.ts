import { ConfigError } from '@platform/config';
import { Type } from 'typebox';
import Value from 'typebox/value';

const ProviderSetting = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    issuer: Type.String({ pattern: '^https?://[^\\s]+$' }),
    client_id: Type.String({ minLength: 1, maxLength: 512 }),
    client_secret: Type.String({ minLength: 1, maxLength: 2048 }),
    scopes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { maxItems: 50 }),
    ),
  },
  { additionalProperties: false },
);

export interface OidcProviderSetting {
  id: string;
  name: string;
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** Always includes `openid`. */
  scopes: string[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

const invalid = (why: string) => new ConfigError(`OIDC_PROVIDERS is invalid: ${why}`);

/**
 * `OIDC_PROVIDERS`: a JSON array of `{id, name, issuer, client_id, client_secret, scopes?}`.
 * Issuers must use https, except on loopback (a provider run next to the service in development).
 */
export function parseProviders(raw: string | undefined): OidcProviderSetting[] {
  if (raw === undefined || raw.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid('expected a JSON array');
  }
  if (!Array.isArray(value)) throw invalid('expected a JSON array');
  const seen = new Set<string>();
  return value.map((entry, i) => {
    if (!Value.Check(ProviderSetting, entry)) {
      const first = [...Value.Errors(ProviderSetting, entry)][0];
      const where = first?.instancePath ? `${first.instancePath.slice(1)} ` : '';
      throw invalid(
        `entry ${i}: ${where}${first?.message ?? 'is malformed'} (expected {id, name, issuer, client_id, client_secret, scopes?})`,
      );
    }
    if (seen.has(entry.id)) throw invalid(`entry ${i}: the id "${entry.id}" is used twice`);
    seen.add(entry.id);
    let issuer: URL;
    try {
      issuer = new URL(entry.issuer);
    } catch {
      throw invalid(`entry ${i}: issuer is not a URL`);
    }
    if (issuer.protocol !== 'https:' && !LOOPBACK.test(issuer.hostname)) {
      throw invalid(`entry ${i}: issuer must use https (http only on loopback)`);
    }
    return {
      id: entry.id,
      name: entry.name,
      issuer,
      clientId: entry.client_id,
      clientSecret: entry.client_secret,
      scopes: [...new Set(['openid', ...(entry.scopes ?? ['email', 'profile'])])],
    };
  });
}

/**
 * `OAUTH_REDIRECT_URIS`: comma-separated absolute URLs without a fragment (a native app's own
 * scheme is fine); a `redirect_uri` must equal one of them exactly.
 */
export function parseRedirectUris(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((uri) => {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        throw new ConfigError(`OAUTH_REDIRECT_URIS is invalid: "${uri}" is not a URL`);
      }
      if (url.hash) {
        throw new ConfigError(`OAUTH_REDIRECT_URIS is invalid: "${uri}" has a fragment`);
      }
      return uri;
    });
}
