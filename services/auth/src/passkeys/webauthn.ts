let loading: Promise<typeof import('@simplewebauthn/server')> | undefined;

/**
 * @simplewebauthn/server, with the ASN.1 and X.509 libraries under it (~4 MB of heap), loads with
 * the first passkey request, not at start. Every passkey operation awaits it first, before it
 * reads anything, so a sign-in with an unknown passkey takes the same path as a known one.
 */
export function simpleWebAuthn() {
  loading ??= import('@simplewebauthn/server').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
