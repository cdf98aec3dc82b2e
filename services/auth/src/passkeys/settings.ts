import { ConfigError } from '@platform/config';

export interface RelyingParty {
  /** The domain passkeys are bound to. */
  id: string;
  /** Origins whose ceremonies are accepted. */
  origins: string[];
}

/**
 * `WEBAUTHN_RP_ID` (default `localhost`) and `WEBAUTHN_ORIGINS` (default: the public URL, i.e. the
 * gateway, on `localhost` and on `127.0.0.1`).
 */
export function relyingParty(
  rpId: string | undefined,
  origins: string | undefined,
  publicUrl: string,
): RelyingParty {
  const id = rpId?.trim() || 'localhost';
  if (!/^[a-z0-9.-]+$/i.test(id)) {
    throw new ConfigError('WEBAUTHN_RP_ID is invalid: expected a domain name such as example.com');
  }
  const list = origins?.trim()
    ? origins
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : defaultOrigins(publicUrl);
  return {
    id,
    origins: list.map((origin) => {
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        throw new ConfigError(`WEBAUTHN_ORIGINS is invalid: "${origin}" is not an origin`);
      }
      if (url.origin === 'null' || url.origin !== origin.replace(/\/$/, '')) {
        throw new ConfigError(
          `WEBAUTHN_ORIGINS is invalid: "${origin}" is not an origin (scheme://host[:port])`,
        );
      }
      return url.origin;
    }),
  };
}

function defaultOrigins(publicUrl: string): string[] {
  const url = new URL(publicUrl);
  return [...new Set(['localhost', '127.0.0.1', url.hostname])].map((host) => {
    const copy = new URL(url.origin);
    copy.hostname = host;
    return copy.origin;
  });
}
