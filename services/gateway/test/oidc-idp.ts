import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/** What the test IdP says about an account. */
export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
  name?: string;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by subject; the test adds them. */
  accounts: Map<string, IdpAccount>;
  /** Who "signs in" at the provider's login step next. */
  signInAs(subject: string): void;
  /** Makes the next token response carry an ID token whose signature is broken. */
  tamperNextIdToken(): void;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`, certified) in the test process. Its login step
 * signs in whoever `signInAs` names without a form; consent is granted for every client, as a
 * first-party IdP would. ID tokens carry only `sub` (the default, conforming behaviour), so the
 * relying party must fetch email and email_verified from the userinfo endpoint.
 */
export async function startTestIdp(redirectUris: string[]): Promise<TestIdp> {
  const accounts = new Map<string, IdpAccount>();
  let next: string | undefined;
  let tamper = false;
  const clientId = 'template-app';
  const clientSecret = 'test-client-secret-that-is-long-enough';

  let provider: Provider | undefined;
  const server = createServer((req, res) => {
    const p = provider!;
    if (req.method === 'GET' && req.url?.startsWith('/interaction/')) {
      (async () => {
        await p.interactionDetails(req, res);
        if (!next) throw new Error('the test did not say who signs in');
        await p.interactionFinished(
          req,
          res,
          { login: { accountId: next } },
          { mergeWithLastSubmission: false },
        );
      })().catch((error: Error) => {
        res.statusCode = 500;
        res.end(error.message);
      });
      return;
    }
    if (tamper && req.url?.startsWith('/token')) {
      tamper = false;
      breakIdTokenIn(res);
    }
    p.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // biome-ignore lint/suspicious/noExplicitAny: oidc-provider's JWK type is narrower than jose's
    jwks: { keys: [jwk as any] },
    cookies: { keys: ['test cookie signing key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
    // Consent is implied: every client gets the scopes it asked for.
    loadExistingGrant: async (ctx) => {
      const grantId =
        ctx.oidc.result?.consent?.grantId ||
        ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    signInAs: (subject) => {
      next = subject;
    },
    tamperNextIdToken: () => {
      tamper = true;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Rewrites one character of the ID token's signature in the JSON the provider sends. */
function breakIdTokenIn(res: ServerResponse) {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk) {
      const body = JSON.parse(Buffer.from(chunk as string).toString('utf8')) as {
        id_token?: string;
      };
      if (body.id_token) {
        const [header, payload, signature = ''] = body.id_token.split('.');
        const i = Math.floor(signature.length / 2);
        const flipped = signature[i] === 'A' ? 'B' : 'A';
        body.id_token = `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
      }
      return end(JSON.stringify(body), ...rest);
    }
    return end(chunk, ...rest);
  }) as typeof res.end;
}

/** A cookie jar for one site, enough for the provider's session and interaction cookies. */
export function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    store(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
    },
  };
}

/**
 * What a browser does from our authorize endpoint until the provider sends it to our callback:
 * follows redirects at the provider (keeping its cookies). Resolves to the callback URL, not yet
 * visited, so a test can change or repeat it.
 */
export async function throughProvider(authorizeUrl: string, callbackPrefix: string) {
  const jar = cookieJar();
  let url = authorizeUrl;
  for (let hop = 0; hop < 12; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    if (!location) {
      throw new Error(`no redirect at ${url}: ${response.status} ${await response.text()}`);
    }
    await response.body?.cancel();
    url = new URL(location, url).toString();
    if (url.startsWith(callbackPrefix)) return url;
  }
  throw new Error('the provider never sent the browser back');
}
