import { randomBytes } from 'node:crypto';
import { errors } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { OAuthClientError, StoreConflictError, StoreUnavailableError } from '#src/shared/ports/index.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import { InvalidRequestError, UpstreamUnavailableError } from '#src/shared/errors.js';
import type { Logger, LogProperties } from '#src/shared/logger.js';
import { COOKIE_KEY_SECRET_NAME, CookieKeyring } from '#src/shared/services/connect/cookieKeyring.js';
import {
  ConnectService,
  connectedReturnUrl,
  mailboxDigest,
  parseConnectQuery,
  type CallbackOutcome,
  type ConnectStarted,
} from '#src/shared/services/connect/connectService.js';
import {
  InMemoryAttemptLimiter,
  InMemoryMailboxRegistry,
  InMemorySecretStore,
  InMemoryUsedFlows,
} from '../../../../fakes/index.js';
import { AUTHORITY_HOST, CLIENT_ID, FakeSignIn, TENANT_ID, USER } from './fakeSignIn.js';

const RETURN_URL = 'https://app.actnow.example/settings/mail?tab=smtp';
const PUBLIC_BASE_URL = 'https://keyrelay.example.net';

class MovableClock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

class RecordingLogger implements Logger {
  readonly lines: { level: string; event: string; properties: LogProperties }[] = [];
  info(event: string, properties: LogProperties = {}): void {
    this.lines.push({ level: 'info', event, properties });
  }
  warn(event: string, properties: LogProperties = {}): void {
    this.lines.push({ level: 'warn', event, properties });
  }
  error(event: string, properties: LogProperties = {}): void {
    this.lines.push({ level: 'error', event, properties });
  }
  text(): string {
    return JSON.stringify(this.lines);
  }
}

interface World {
  clock: MovableClock;
  secrets: InMemorySecretStore;
  registry: InMemoryMailboxRegistry;
  entra: FakeSignIn;
  logger: RecordingLogger;
  service: ConnectService;
}

function makeService(
  world: Omit<World, 'service' | 'logger'>,
  keyring = new CookieKeyring(world.secrets),
): { service: ConnectService; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const service = new ConnectService({
    settings: {
      oauthClientId: CLIENT_ID,
      oauthTenant: 'organizations',
      authorityHost: AUTHORITY_HOST,
      publicBaseUrl: PUBLIC_BASE_URL,
      redirectUri: `${PUBLIC_BASE_URL}/api/oauth/callback`,
      allowedReturnUrls: ['https://app.actnow.example/settings'],
      allowedTenants: '*',
      connectAttemptsPerClientPerHour: 1000,
      connectAttemptsPerTenantPerHour: 1000,
      maxMailboxesPerTenant: 1000,
    },
    clock: world.clock,
    keyring,
    oauthClient: world.entra,
    secretStore: world.secrets,
    mailboxRegistry: world.registry,
    usedFlows: new InMemoryUsedFlows(),
    attemptLimiter: new InMemoryAttemptLimiter(),
    // The SMTP AUTH check over real SMTP is tested in tests/integration/connect.
    smtpAuthProbe: { check: () => Promise.resolve({ state: 'ok' }) },
    logger,
  });
  return { service, logger };
}

function newWorld(): World {
  const clock = new MovableClock(new Date('2026-03-02T09:00:00Z'));
  const base = {
    clock,
    secrets: new InMemorySecretStore(clock),
    registry: new InMemoryMailboxRegistry(),
    entra: new FakeSignIn(clock),
  };
  return { ...base, ...makeService(base) };
}

function cookieHeader(started: ConnectStarted): string {
  return `${started.cookie.name}=${started.cookie.value}`;
}

async function nothingWritten(world: World): Promise<void> {
  expect(world.secrets.versionCount(mailboxCacheSecretName(TENANT_ID, USER.oid))).toBe(0);
  expect(await world.registry.list()).toEqual([]);
}

function rejected(outcome: CallbackOutcome): string {
  if (outcome.kind !== 'rejected') throw new Error(`expected a rejection, got ${outcome.kind}`);
  return outcome.code;
}

describe('parseConnectQuery', () => {
  it('reads returnUrl and loginHint, decoding them once', () => {
    expect(parseConnectQuery(`?returnUrl=${encodeURIComponent(RETURN_URL)}&loginHint=mario%40contoso.com`)).toEqual({
      returnUrl: RETURN_URL,
      loginHint: 'mario@contoso.com',
    });
  });

  it('ignores unknown parameters', () => {
    expect(
      parseConnectQuery('?utm_source=crm&prompt=none&returnUrl=https%3A%2F%2Fapp.actnow.example%2Fsettings'),
    ).toEqual({
      returnUrl: 'https://app.actnow.example/settings',
    });
  });

  it.each([
    ['a duplicated returnUrl', '?returnUrl=https%3A%2F%2Fa.example&returnUrl=https%3A%2F%2Fb.example'],
    ['a duplicated loginHint', '?loginHint=a%40b.com&loginHint=c%40d.com'],
    ['invalid UTF-8', '?returnUrl=https%3A%2F%2Fapp.actnow.example%2Fsettings%2F%FF'],
    ['a broken percent escape', '?returnUrl=https%3A%2F%2Fapp.actnow.example%2Fsettings%2'],
    ['a query longer than 8 KB', `?returnUrl=${'a'.repeat(8 * 1024 + 1)}`],
  ])('refuses %s with invalid_request', (_, query) => {
    expect(() => parseConnectQuery(query)).toThrow(InvalidRequestError);
  });
});

describe('ConnectService.start', () => {
  let world: World;
  beforeEach(() => {
    world = newWorld();
  });

  it('redirects to the v2 authorize endpoint with PKCE S256, state, nonce, the SMTP scope, Graph Mail.Send consent and login_hint', async () => {
    const started = await world.service.start({
      returnUrl: RETURN_URL,
      loginHint: 'mario.rossi@contoso.onmicrosoft.com',
    });
    const url = new URL(started.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${AUTHORITY_HOST}/organizations/oauth2/v2.0/authorize`);
    const params = url.searchParams;
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(`${PUBLIC_BASE_URL}/api/oauth/callback`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('scope')?.split(' ')).toEqual([
      'openid',
      'profile',
      'offline_access',
      'https://outlook.office.com/SMTP.Send',
      'https://graph.microsoft.com/Mail.Send',
    ]);
    expect(params.get('login_hint')).toBe('mario.rossi@contoso.onmicrosoft.com');
  });

  it('sets one short-lived HttpOnly, Secure, SameSite=Lax __Host- cookie per flow that reveals none of the flow values', async () => {
    const first = await world.service.start({ returnUrl: RETURN_URL });
    const second = await world.service.start({ returnUrl: RETURN_URL });
    const { cookie } = first;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(cookie.maxAge).toBeGreaterThan(0);
    expect(cookie.maxAge).toBeLessThanOrEqual(15 * 60);
    expect(cookie.name).toMatch(/^__Host-keyrelay-auth-[0-9a-f]{16}$/);
    expect(second.cookie.name).not.toBe(cookie.name);
    const params = new URL(first.authorizeUrl).searchParams;
    for (const value of [params.get('state'), params.get('nonce'), params.get('code_challenge'), RETURN_URL]) {
      expect(cookie.value).not.toContain(value);
    }
  });

  it('creates the cookie key in Key Vault on first use, once, and never logs it', async () => {
    await world.service.start({});
    await world.service.start({});
    expect(world.secrets.versionCount(COOKIE_KEY_SECRET_NAME)).toBe(1);
    const key = await world.secrets.getSecret(COOKIE_KEY_SECRET_NAME);
    expect(Buffer.from(key?.value ?? '', 'base64')).toHaveLength(32);
    expect(key?.tags).toEqual({ kind: 'cookie-key', managedBy: 'keyrelay' });
    expect(world.logger.text()).not.toContain(key?.value);
    expect(world.logger.lines.map((line) => line.event)).toEqual(['connect.started', 'connect.started']);
  });

  it('a return URL longer than the limit once normalised answers 400 too_long and writes nothing', async () => {
    const returnUrl = `https://app.actnow.example/settings/${'é'.repeat(1000)}`;
    expect(returnUrl.length).toBeLessThanOrEqual(2048);
    await expect(world.service.start({ returnUrl })).rejects.toSatisfy(
      (error) => error instanceof InvalidRequestError && error.status === 400,
    );
    expect(world.secrets.calls.setSecret).toBe(0);
    expect(world.logger.lines).toEqual([
      { level: 'warn', event: 'connect.failed', properties: { code: 'return_url_too_long' } },
    ]);
  });

  it.each([
    ['a return URL outside ALLOWED_RETURN_URLS', { returnUrl: 'https://evil.example/settings' }],
    ['a protocol-relative return URL', { returnUrl: '//evil.example' }],
    ['a javascript: return URL', { returnUrl: 'javascript:alert(1)' }],
    ['a return URL on a sibling path', { returnUrl: 'https://app.actnow.example/settings-evil' }],
    ['a login hint that is not an address', { loginHint: '<script>' }],
  ])('refuses %s with invalid_request and writes nothing', async (_, input) => {
    await expect(world.service.start(input)).rejects.toSatisfy(
      (error) => error instanceof InvalidRequestError && error.status === 400,
    );
    expect(world.secrets.calls.setSecret).toBe(0);
    expect(world.logger.lines.map(({ level, event }) => `${level} ${event}`)).toEqual(['warn connect.failed']);
    expect(world.logger.lines[0]?.properties.code).toMatch(/^(return_url|login_hint)_/);
  });
});

describe('ConnectService.complete', () => {
  let world: World;
  beforeEach(() => {
    world = newWorld();
  });

  async function startAndSignIn(input = { returnUrl: RETURN_URL }) {
    const started = await world.service.start(input);
    return { started, answer: world.entra.signIn(started.authorizeUrl) };
  }

  it('stores the token cache under mbx-<digest> with tags free of personal data, registers the mailbox and redirects to the return URL', async () => {
    const { started, answer } = await startAndSignIn();
    const outcome = await world.service.complete(answer.query, cookieHeader(started));

    const upn = USER.upn.toLowerCase();
    expect(outcome).toEqual({
      kind: 'connected',
      upn,
      smtpAuth: { state: 'ok' },
      redirectTo: `https://app.actnow.example/settings/mail?tab=smtp&keyrelay=connected&mailbox=${encodeURIComponent(upn)}`,
      clearCookies: [{ ...started.cookie, value: '', maxAge: 0 }],
    });
    const cache = await world.secrets.getSecret(mailboxCacheSecretName(TENANT_ID, USER.oid));
    expect(cache?.contentType).toBe('application/json');
    expect(cache?.tags).toEqual({ kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid: TENANT_ID });
    expect(JSON.stringify(cache?.tags)).not.toContain(USER.oid);
    expect(JSON.parse(cache?.value ?? '{}')).toHaveProperty('RefreshToken');
    const row = await world.registry.get(upn);
    expect(row).toMatchObject({
      upn,
      tenantId: TENANT_ID,
      objectId: USER.oid,
      cacheSecretName: mailboxCacheSecretName(TENANT_ID, USER.oid),
      connectedAt: world.clock.now(),
      lastRefreshAt: world.clock.now(),
      status: 'ok',
    });
  });

  it('answers a result page (no redirect) when the flow had no return URL', async () => {
    const { started, answer } = await startAndSignIn({} as { returnUrl: string });
    const outcome = await world.service.complete(answer.query, cookieHeader(started));
    expect(outcome).toMatchObject({ kind: 'connected', upn: USER.upn.toLowerCase() });
    expect(outcome).not.toHaveProperty('redirectTo');
  });

  it('logs connect.completed with the tenant and a digest of the mailbox, never the address, code, state or tokens', async () => {
    const { started, answer } = await startAndSignIn();
    await world.service.complete(answer.query, cookieHeader(started));
    expect(world.logger.lines.at(-1)).toEqual({
      level: 'info',
      event: 'connect.completed',
      properties: { tid: TENANT_ID, mailbox: mailboxDigest(USER.upn) },
    });
    const logged = world.logger.text();
    for (const secret of [
      USER.upn,
      USER.upn.toLowerCase(),
      answer.code,
      answer.state,
      started.cookie.value,
      ...world.entra.issuedSecrets,
    ]) {
      expect(logged).not.toContain(secret);
    }
  });

  it('lets two tabs connect at the same time: each flow has its own cookie', async () => {
    const tabA = await startAndSignIn();
    const tabB = await startAndSignIn();
    const both = `${cookieHeader(tabA.started)}; ${cookieHeader(tabB.started)}`;
    expect((await world.service.complete(tabB.answer.query, both)).kind).toBe('connected');
    expect((await world.service.complete(tabA.answer.query, both)).kind).toBe('connected');
  });

  it('opens a cookie sealed with a key version another instance created concurrently', async () => {
    // Two instances find no key and both create one: Key Vault then holds two versions.
    const other = makeService(world, new CookieKeyring(world.secrets));
    const [started] = await Promise.all([
      other.service.start({ returnUrl: RETURN_URL }),
      world.service.start({ returnUrl: RETURN_URL }),
    ]);
    expect(world.secrets.versionCount(COOKIE_KEY_SECRET_NAME)).toBe(2);
    const answer = world.entra.signIn(started.authorizeUrl);
    expect((await world.service.complete(answer.query, cookieHeader(started))).kind).toBe('connected');
  });

  describe('refuses bad input before redeeming the code, writing nothing', () => {
    it('missing cookie -> cookie_missing', async () => {
      const { answer } = await startAndSignIn();
      expect(rejected(await world.service.complete(answer.query, null))).toBe('cookie_missing');
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });

    it('expired cookie (more than 10 minutes) -> cookie_expired', async () => {
      const { started, answer } = await startAndSignIn();
      world.clock.advance(601);
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe('cookie_expired');
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });

    it('tampered cookie -> cookie_invalid', async () => {
      const { started, answer } = await startAndSignIn();
      const value = started.cookie.value;
      const tampered = `${value.slice(0, -4)}${value.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      expect(rejected(await world.service.complete(answer.query, `${started.cookie.name}=${tampered}`))).toBe(
        'cookie_invalid',
      );
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });

    it('cookie naming an unknown key version -> cookie_invalid, with no Key Vault write', async () => {
      const { started, answer } = await startAndSignIn();
      const writes = world.secrets.calls.setSecret;
      const sealed = started.cookie.value.slice(started.cookie.value.indexOf('.') + 1);
      const forged = `${started.cookie.name}=${'f'.repeat(32)}.${sealed}`;
      expect(rejected(await world.service.complete(answer.query, forged))).toBe('cookie_invalid');
      expect(world.secrets.calls.setSecret).toBe(writes);
      await nothingWritten(world);
    });

    it('200 callbacks naming forged cookie-key versions cause at most one Key Vault read, and no malformed one any', async () => {
      const { started, answer } = await startAndSignIn();
      const sealed = started.cookie.value.slice(started.cookie.value.indexOf('.') + 1);
      const reads = world.secrets.calls.getSecretVersion;
      for (let i = 0; i < 200; i++) {
        const version = i % 2 === 0 ? randomBytes(16).toString('hex') : randomBytes(24).toString('base64url');
        const forged = `${started.cookie.name}=${version}.${sealed}`;
        expect(rejected(await world.service.complete(answer.query, forged))).toBe('cookie_invalid');
      }
      expect(world.secrets.calls.getSecretVersion - reads).toBeLessThanOrEqual(1);
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });

    it('a second cookie of the same name planted next to ours -> cookie_invalid', async () => {
      const { started, answer } = await startAndSignIn();
      const header = `${cookieHeader(started)}; ${started.cookie.name}=${started.cookie.value}`;
      expect(rejected(await world.service.complete(answer.query, header))).toBe('cookie_invalid');
      expect(world.entra.redeemCalls).toBe(0);
    });

    it('state of another flow than the cookie -> cookie_missing (the cookie is bound to its state)', async () => {
      const tabA = await startAndSignIn();
      const tabB = await startAndSignIn();
      const swapped = `?code=${encodeURIComponent(tabA.answer.code)}&state=${encodeURIComponent(tabB.answer.state)}`;
      expect(rejected(await world.service.complete(swapped, cookieHeader(tabA.started)))).toBe('cookie_missing');
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });

    it('replayed callback after success (cookie cleared) -> cookie_missing', async () => {
      const { started, answer } = await startAndSignIn();
      expect((await world.service.complete(answer.query, cookieHeader(started))).kind).toBe('connected');
      const calls = world.entra.redeemCalls;
      expect(rejected(await world.service.complete(answer.query, null))).toBe('cookie_missing');
      expect(world.entra.redeemCalls).toBe(calls);
    });

    it.each([
      ['duplicated parameters', (q: string) => `${q}&state=x`, 'duplicated_parameter'],
      ['an 8 KB state', () => `?code=abc&state=${'s'.repeat(8 * 1024)}`, 'state_too_long'],
      ['invalid UTF-8', (q: string) => `${q}&x=%C3%28`, 'invalid_utf8'],
      ['no state', () => '?code=abc', 'missing_state'],
    ])('%s -> %s', async (_, makeQuery, code) => {
      const { started, answer } = await startAndSignIn();
      expect(rejected(await world.service.complete(makeQuery(answer.query), cookieHeader(started)))).toBe(code);
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });

    it('an upstream error shows the sign-in error, clears the cookie and redeems nothing; error_description is not kept', async () => {
      const { started, answer } = await startAndSignIn();
      const description = '<script>alert(1)</script> AADSTS65001: The user or administrator has not consented';
      const query = `?${new URLSearchParams({ error: 'consent_required', error_description: description, state: answer.state }).toString()}`;
      const outcome = await world.service.complete(query, cookieHeader(started));
      expect(outcome).toMatchObject({
        kind: 'signInError',
        status: 400,
        signInError: { error: 'consent_required', aadsts: 65001 },
        clearCookies: [{ name: started.cookie.name, value: '', maxAge: 0 }],
      });
      expect(JSON.stringify(outcome)).not.toContain('script');
      expect(outcome.kind === 'signInError' && outcome.links.retryUrl).toBe(
        `${PUBLIC_BASE_URL}/api/connect?returnUrl=${encodeURIComponent(RETURN_URL)}`,
      );
      expect(outcome.kind === 'signInError' && outcome.links.adminConsentUrl).toContain(
        '/organizations/v2.0/adminconsent?',
      );
      expect(world.entra.redeemCalls).toBe(0);
      await nothingWritten(world);
    });
  });

  describe('refuses what the token endpoint answers when it is wrong, writing nothing', () => {
    it('a reused code -> code_rejected', async () => {
      const { started, answer } = await startAndSignIn();
      await world.entra
        .redeemCode({
          tenant: 'organizations',
          code: answer.code,
          codeVerifier: 'x',
          redirectUri: '',
          scopes: [],
          nonce: '',
        })
        .catch(() => undefined);
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe('code_rejected');
      await nothingWritten(world);
    });

    it('a verifier that does not match the challenge (code of another flow) -> code_rejected', async () => {
      const tabA = await startAndSignIn();
      const tabB = await startAndSignIn();
      const injected = `?code=${encodeURIComponent(tabA.answer.code)}&state=${encodeURIComponent(tabB.answer.state)}`;
      expect(rejected(await world.service.complete(injected, cookieHeader(tabB.started)))).toBe('code_rejected');
      await nothingWritten(world);
    });

    it.each([
      ['a wrong nonce', { nonce: 'another-nonce' }, 'id_token_nonce_mismatch'],
      [
        'an issuer of another tenant',
        { iss: `${AUTHORITY_HOST}/9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d/v2.0` },
        'id_token_issuer_mismatch',
      ],
      [
        'a tid that is not a GUID',
        { tid: 'contoso.onmicrosoft.com', iss: `${AUTHORITY_HOST}/contoso.onmicrosoft.com/v2.0` },
        'id_token_invalid_tid',
      ],
      ['another audience', { aud: '00000000-0000-0000-0000-000000000001' }, 'id_token_audience_mismatch'],
    ])('an id token with %s -> %s', async (_, overrides, code) => {
      world.entra.claimOverrides = overrides;
      const { started, answer } = await startAndSignIn();
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe(code);
      await nothingWritten(world);
    });

    it('MSAL refusing the id token nonce itself -> id_token_nonce_mismatch', async () => {
      const { started, answer } = await startAndSignIn();
      world.entra.nextRedeemFailure = new OAuthClientError({ kind: 'rejected', errorCode: 'nonce_mismatch' });
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe(
        'id_token_nonce_mismatch',
      );
      await nothingWritten(world);
    });

    it('an id token whose signature does not verify -> id_token_bad_signature', async () => {
      world.entra.signatureValid = false;
      const { started, answer } = await startAndSignIn();
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe(
        'id_token_bad_signature',
      );
      await nothingWritten(world);
    });

    it('a JWKS outage during the callback answers 503 upstream_unavailable with Retry-After, not invalid sign-in', async () => {
      const { started, answer } = await startAndSignIn();
      world.entra.signingKeysFailure = new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response');
      await expect(world.service.complete(answer.query, cookieHeader(started))).rejects.toSatisfy(
        (error) =>
          error instanceof UpstreamUnavailableError &&
          error.code === 'upstream_unavailable' &&
          error.status === 503 &&
          error.retryAfterSeconds > 0,
      );
      expect(world.logger.lines.at(-1)).toEqual({
        level: 'warn',
        event: 'connect.failed',
        properties: { code: 'signing_keys_unavailable' },
      });
      await nothingWritten(world);
    });

    it.each([
      ['discovery unreachable', new TypeError('fetch failed')],
      ['a JWKS timeout', new errors.JWKSTimeout()],
    ])('%s while checking the id token -> 503 upstream_unavailable', async (_, failure) => {
      const { started, answer } = await startAndSignIn();
      world.entra.signingKeysFailure = failure;
      await expect(world.service.complete(answer.query, cookieHeader(started))).rejects.toBeInstanceOf(
        UpstreamUnavailableError,
      );
      await nothingWritten(world);
    });

    it.each([
      ['signed by a key Entra does not publish', new errors.JWKSNoMatchingKey()],
      [
        'with a forbidden algorithm',
        new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed'),
      ],
      ['that is not a JWT', new errors.JWSInvalid('Invalid Compact JWS')],
    ])('an id token %s -> id_token_bad_signature', async (_, failure) => {
      const { started, answer } = await startAndSignIn();
      world.entra.signingKeysFailure = failure;
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe(
        'id_token_bad_signature',
      );
      await nothingWritten(world);
    });

    it('a token cache of another account than the id token -> client_info_mismatch', async () => {
      world.entra.homeAccountIdOverride = `2b3c4d5e-0001-4b6c-9d7e-8f9a0b1c2d3e.${TENANT_ID}`;
      const { started, answer } = await startAndSignIn();
      expect(rejected(await world.service.complete(answer.query, cookieHeader(started)))).toBe('client_info_mismatch');
      await nothingWritten(world);
    });
  });

  describe('failures of the services it depends on', () => {
    it('Entra unavailable during redemption -> UpstreamUnavailableError with its Retry-After', async () => {
      const { started, answer } = await startAndSignIn();
      world.entra.nextRedeemFailure = new OAuthClientError({ kind: 'unavailable', retryAfterSeconds: 7 });
      await expect(world.service.complete(answer.query, cookieHeader(started))).rejects.toSatisfy(
        (error) => error instanceof UpstreamUnavailableError && error.retryAfterSeconds === 7,
      );
      await nothingWritten(world);
    });

    it("keyrelay's own credential refused -> 503 upstream_unavailable naming the credential's fix, not blamed on the person signing in, nothing stored", async () => {
      const { started, answer } = await startAndSignIn();
      const fix = 'run `npm run setup -- --federated` to repair it.';
      world.entra.nextRedeemFailure = new OAuthClientError({ kind: 'invalid_client', errorCode: 'AADSTS70021', fix });
      await expect(world.service.complete(answer.query, cookieHeader(started))).rejects.toSatisfy(
        (error) =>
          error instanceof UpstreamUnavailableError &&
          error.code === 'upstream_unavailable' &&
          error.publicMessage.includes(fix),
      );
      await nothingWritten(world);
    });

    it('a 409 on the cache write is retried: the mailbox is connected', async () => {
      const { started, answer } = await startAndSignIn();
      const conflict = () => new StoreConflictError('write secret: conflicting write (HTTP 409)', 409);
      world.secrets.failNext('setSecret', conflict());
      world.secrets.failNext('setSecret', conflict());
      const outcome = await world.service.complete(answer.query, cookieHeader(started));
      expect(outcome.kind).toBe('connected');
      expect(world.secrets.versionCount(mailboxCacheSecretName(TENANT_ID, USER.oid))).toBe(1);
      expect(await world.registry.get(USER.upn)).toMatchObject({ status: 'ok' });
    });

    it('a 409 on every one of three cache writes surfaces the conflict and registers no mailbox', async () => {
      const { started, answer } = await startAndSignIn();
      for (let i = 0; i < 4; i++) {
        world.secrets.failNext('setSecret', new StoreConflictError('write secret: conflicting write (HTTP 409)', 409));
      }
      await expect(world.service.complete(answer.query, cookieHeader(started))).rejects.toBeInstanceOf(
        StoreConflictError,
      );
      expect(world.secrets.calls.setSecret).toBe(1 + 3);
      expect(await world.registry.list()).toEqual([]);
    });

    it('Key Vault unavailable when storing the cache -> the store error surfaces and no mailbox is registered', async () => {
      const { started, answer } = await startAndSignIn();
      world.secrets.failNext(
        'setSecret',
        new StoreUnavailableError('write secret: store unavailable (HTTP 503)', 503, 5),
      );
      await expect(world.service.complete(answer.query, cookieHeader(started))).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      expect(await world.registry.list()).toEqual([]);
    });
  });
});

describe('ConnectService.complete with an admin-consent reply', () => {
  it('an admin-consent reply without a flow claims no grant: it only says the consent page answered', async () => {
    const world = newWorld();
    const outcome = await world.service.complete(`?admin_consent=True&tenant=${TENANT_ID}`, null);
    expect(outcome).toEqual({ kind: 'adminConsent', refused: false, clearCookies: [] });
    expect(world.entra.redeemCalls).toBe(0);
    await nothingWritten(world);
  });

  it('an admin-consent refusal is shown as a refusal', async () => {
    const world = newWorld();
    const outcome = await world.service.complete(
      '?admin_consent=True&error=access_denied&error_description=AADSTS65004%3A+declined',
      null,
    );
    expect(outcome).toEqual({ kind: 'adminConsent', refused: true, clearCookies: [] });
  });
});

describe('connectedReturnUrl', () => {
  it('merges keyrelay=connected and the mailbox into the existing query, keeping the fragment', () => {
    expect(
      connectedReturnUrl('https://app.actnow.example/settings?tab=smtp&keyrelay=old#mail', 'a+b@contoso.com'),
    ).toBe('https://app.actnow.example/settings?tab=smtp&keyrelay=connected&mailbox=a%2Bb%40contoso.com#mail');
  });
});
