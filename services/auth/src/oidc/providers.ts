import type { Configuration } from 'openid-client';
import type { OidcProviderSetting } from './settings.ts';

let loading: Promise<typeof import('openid-client')> | undefined;

/**
 * openid-client (with oauth4webapi) loads with the first provider sign-in, not at start: most
 * deployments configure no provider, and those that do keep ~1 MB less resident until one is used.
 */
export const openidClient = () => {
  loading ??= import('openid-client').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
};

export interface OidcProvider extends OidcProviderSetting {
  /** The provider's metadata from discovery, fetched on first use and kept. */
  configuration(): Promise<Configuration>;
}

const DISCOVERY_TIMEOUT_SECONDS = 10;

/**
 * The configured providers. Discovery happens on first use, not at start, so auth starts (and
 * signs in with passwords) while a provider is down; a failed discovery is retried next time.
 */
export function createProviders(settings: OidcProviderSetting[]): Map<string, OidcProvider> {
  return new Map(
    settings.map((setting) => {
      let pending: Promise<Configuration> | undefined;
      const configuration = () => {
        pending ??= openidClient()
          .then((client) =>
            client.discovery(
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
            ),
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
