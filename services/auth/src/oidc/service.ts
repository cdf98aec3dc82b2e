import { createHash, timingSafeEqual } from 'node:crypto';
import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import type { Configuration } from 'openid-client';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { hashSecret, newSecret } from '../credentials/secrets.ts';
import { problem } from '../errors.ts';
import { identityStillLinked, type Linked, noticeOfLink } from '../sessions/pending-link.ts';
import type { ClientInfo } from '../sessions/service.ts';
import { signIn } from '../sessions/sign-in.ts';
import { findUserById, lockUser } from '../users/repository.ts';
import { type Claims, callbackUrl, verifiedClaims } from './claims.ts';
import { resolveAccount } from './linking.ts';
import { type OidcProvider, openidClient } from './providers.ts';
import {
  insertFlow,
  insertLoginCode,
  takeFlow,
  takeLoginCode,
  userOfLoginCode,
} from './repository.ts';

/** How long a user may take at the provider. */
const FLOW_TTL_SECONDS = 600;
/** How long the app has to exchange the code it was handed. */
const LOGIN_CODE_TTL_SECONDS = 60;

export interface OidcDeps {
  providers: Map<string, OidcProvider>;
  redirectUris: string[];
}

/** What the callback sends the browser back to the app with. */
export type CallbackOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'refused'; detail: string };

export function providerOf(deps: OidcDeps, id: string): OidcProvider {
  const provider = deps.providers.get(id);
  if (!provider) throw problems.notFound('No such sign-in provider.');
  return provider;
}

/**
 * Starts a sign-in at the provider: a fresh state, nonce and PKCE verifier are kept server-side
 * (the state only as a hash) for one callback within FLOW_TTL_SECONDS; returns where to send the
 * browser. The app may bind the final code to itself with its own S256 `code_challenge`.
 */
export async function startAuthorization(
  ctx: AuthContext,
  deps: OidcDeps,
  input: { providerId: string; redirectUri: string; state?: string; codeChallenge?: string },
  log: FastifyBaseLogger,
): Promise<string> {
  const provider = providerOf(deps, input.providerId);
  if (!deps.redirectUris.includes(input.redirectUri)) {
    throw problem(
      'redirect_uri_not_allowed',
      'redirect_uri is not one of the allowed redirect URIs (OAUTH_REDIRECT_URIS).',
      { errors: [{ field: 'redirect_uri', message: 'is not allowed' }] },
    );
  }
  let configuration: Configuration;
  try {
    configuration = await provider.configuration();
  } catch (error) {
    log.warn({ provider: provider.id, error: describe(error) }, 'OIDC discovery failed');
    return withParams(input.redirectUri, {
      error: 'provider_unavailable',
      error_description: 'The sign-in provider cannot be reached; try again later.',
      state: input.state,
    });
  }
  const client = await openidClient();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  await insertFlow(ctx.db, {
    stateHash: hashSecret(state),
    provider: provider.id,
    redirectUri: input.redirectUri,
    codeVerifier,
    nonce,
    appState: input.state ?? null,
    appCodeChallenge: input.codeChallenge ?? null,
    expiresAt: new Date(Date.now() + FLOW_TTL_SECONDS * 1000),
  });
  return client
    .buildAuthorizationUrl(configuration, {
      redirect_uri: callbackUrl(ctx, provider.id),
      scope: provider.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    })
    .toString();
}

/**
 * The provider sent the browser back. The state must name a live flow of this provider (else
 * there is nowhere safe to send the browser: 400); everything after that fails as a redirect to
 * the app with `error`. On success the app gets a one-time `code` for `POST /oauth/token`.
 */
export async function completeAuthorization(
  ctx: AuthContext,
  deps: OidcDeps,
  input: { providerId: string; query: URLSearchParams; client: ClientInfo },
  log: FastifyBaseLogger,
): Promise<CallbackOutcome> {
  const provider = providerOf(deps, input.providerId);
  const state = input.query.get('state');
  const flow = state ? await takeFlow(ctx.db, hashSecret(state)) : undefined;
  if (!flow || flow.provider !== provider.id) {
    return { kind: 'refused', detail: 'The sign-in state is unknown, expired or already used.' };
  }
  const back = (params: Record<string, string | undefined>) => ({
    kind: 'redirect' as const,
    location: withParams(flow.redirectUri, { ...params, state: flow.appState ?? undefined }),
  });
  const denied = input.query.get('error');
  if (denied) {
    return back({
      error: /^[a-z_]{1,64}$/.test(denied) ? denied : 'access_denied',
      error_description: 'The sign-in was cancelled or refused at the provider.',
    });
  }

  let claims: Claims;
  try {
    claims = await verifiedClaims(ctx, provider, flow, input.query);
  } catch (error) {
    log.warn({ provider: provider.id, error: describe(error) }, 'OIDC sign-in refused');
    await recordAudit(ctx.db, {
      type: 'login.failed',
      userId: null,
      actorId: null,
      client: input.client,
      details: { method: 'oidc', provider: provider.id, reason: 'sign_in_failed' },
    });
    return back({
      error: 'sign_in_failed',
      error_description: 'The provider’s answer could not be verified.',
    });
  }

  const code = newSecret();
  // Stored with the resolution, in its transaction (see resolveAccount).
  const outcome = await resolveAccount(ctx, provider.id, claims, input.client, (tx, signedIn) =>
    insertLoginCode(tx, {
      codeHash: code.hash,
      userId: signedIn.userId,
      identityId: signedIn.identityId ?? null,
      provider: provider.id,
      linkSubject: signedIn.link?.subject ?? null,
      linkEmail: signedIn.link?.email ?? null,
      appCodeChallenge: flow.appCodeChallenge,
      expiresAt: new Date(Date.now() + LOGIN_CODE_TTL_SECONDS * 1000),
    }),
  );
  if (outcome.kind === 'refused') {
    log.info({ provider: provider.id, reason: outcome.error }, 'OIDC sign-in refused');
    // The owner of an account someone tried to reach through a provider gets to see it.
    await recordAudit(ctx.db, {
      type: 'login.failed',
      userId: outcome.userId ?? null,
      actorId: null,
      client: input.client,
      details: { method: 'oidc', provider: provider.id, reason: outcome.error },
    });
    return back({ error: outcome.error, error_description: outcome.detail });
  }
  return back({ code: code.token });
}

/**
 * `POST /oauth/token`: the one-time code from the callback, spent, for a session. With the app's
 * own PKCE (a `code_challenge` at authorize), the matching `code_verifier` is required. A code
 * that carries a pending link makes it here, when no second factor is due (signIn decides, MFA
 * turned on since the callback included), else after it at /login/mfa.
 */
export async function exchangeLoginCode(
  ctx: AuthContext,
  input: { code: string; codeVerifier?: string },
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const invalid = () => problem('invalid_code', 'The code is unknown, expired or already used.');
  const codeHash = hashSecret(input.code);
  let linked: Linked | undefined;
  const result = await ctx.db.transaction(async (tx) => {
    // The user's row before the code, as signIn locks it: a password reset or an MFA change locks
    // the row and then deletes the user's codes, so the opposite order could deadlock.
    const userId = await userOfLoginCode(tx, codeHash);
    if (!userId || !(await lockUser(tx, userId))) throw invalid();
    const row = await takeLoginCode(tx, codeHash);
    if (!row) throw invalid();
    if (row.appCodeChallenge && !pkceMatches(row.appCodeChallenge, input.codeVerifier)) {
      throw invalid();
    }
    const user = await findUserById(tx, row.userId);
    if (!user) throw invalid();
    // Unlinked since the callback (its code went with it, unless this exchange held it first):
    // no session, nor challenge, for an identity that is gone.
    if (row.identityId && !(await identityStillLinked(tx, row.userId, row.identityId))) {
      throw invalid();
    }
    const link =
      row.linkSubject && row.linkEmail
        ? { provider: row.provider, subject: row.linkSubject, email: row.linkEmail }
        : undefined;
    // MFA still applies: with it on, the answer is `mfa_required` (finished at /login/mfa).
    return signIn(ctx, user, client, {
      method: 'oidc',
      tx,
      openedBy: { identityId: row.identityId ?? undefined },
      details: { provider: row.provider, identity_id: row.identityId ?? undefined },
      link: link && {
        pending: link,
        refused: invalid,
        done: (made) => {
          linked = made;
        },
      },
    });
  });
  await noticeOfLink(ctx, linked, client.log);
  return result;
}

function pkceMatches(challenge: string, verifier: string | undefined): boolean {
  if (!verifier) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return url.toString();
}

/** An error for the log: its kind and message, never a token or a response body. */
function describe(error: unknown) {
  const e = error as { name?: string; code?: string; message?: string; error?: string };
  return { name: e?.name, code: e?.code, error: e?.error, message: e?.message?.slice(0, 200) };
}
