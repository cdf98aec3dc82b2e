import * as client from 'openid-client';
import type { OidcProviderSetting } from './settings.ts';

export interface OidcProvider extends OidcProviderSetting {
  /** The provider's metadata from discovery, fetched on first use and kept. */
  configuration(): Promise<client.Configuration>;
}

const DISCOVERY_TIMEOUT_SECONDS = 10;

/**
 * The configured providers. Discovery happens on first use, not at start, so auth starts (and
 * signs in with passwords) while a provider is down; a failed discovery is retried next time.
 */
export function createProviders(settings: OidcProviderSetting[]): Map<string, OidcProvider> {
  return new Map(
    settings.map((setting) => {
      let pending: Promise<client.Configuration> | undefined;
      const configuration = () => {
        pending ??= client
          .discovery(
            setting.issuer,
            setting.clientId,
            undefined,
            client.ClientSecretBasic(setting.clientSecret),
            {
              timeout: DISCOVERY_TIMEOUT_SECONDS,
              execute: [
                // By default only TLS vouches for an ID token from the token endpoint (OIDC Core
                // 3.1.3.7); its signature is checked too, against the provider's published keys.
                client.enableNonRepudiationChecks,
                // Plain http only reaches here for a loopback issuer (see settings.ts).
                ...(setting.issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []),
              ],
            },
          )
          .catch((error: unknown) => {
            pending = undefined;
            throw error;
          });
        return pending;
      };
      return [setting.id, { ...setting, configuration }];
    }),
  );
}
