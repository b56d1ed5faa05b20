// The connect flow through the local host (build in dist/) against the Entra, Key Vault and Graph
// emulators and Azurite, with the real MSAL and Azure SDKs. Every bad-input case is its own test and
// proves that nothing was written: no Key Vault version, no registry row, and no code redeemed when
// the answer could be refused before redemption.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO_TENANT_ID, FABRIKAM_TENANT_ID } from '../../../dev/cloud/index.js';
import { openAuthCookie, sealAuthCookie } from '#src/shared/domain/connect/authCookie.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import { COOKIE_KEY_SECRET_NAME } from '#src/shared/services/connect/cookieKeyring.js';
import {
  PRODUCT_RETURN_URL,
  startTestHost,
  startTestStack,
  type TestHost,
  type TestStack,
} from '../../support/stack.js';
import {
  ConnectDriver,
  expectErrorPage,
  queryParam,
  type FlowStart,
  type RecordedResponse,
  type Redemption,
} from './connectDriver.js';

const MARIO = { upn: 'mario.rossi@contoso.onmicrosoft.com', oid: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d' };
const GIULIA = { upn: 'giulia.bianchi@contoso.onmicrosoft.com', oid: '1a2b3c4d-0002-4a5b-8c6d-7e8f9a0b1c2d' };
const ANNA = { upn: 'anna.verdi@fabrikam.onmicrosoft.com', oid: '2b3c4d5e-0001-4b6c-9d7e-8f9a0b1c2d3e' };
const MARKETING = { upn: 'marketing@fabrikam.onmicrosoft.com', oid: '2b3c4d5e-0002-4b6c-9d7e-8f9a0b1c2d3e' };

const OPEN_REDIRECT_PAYLOADS = readFileSync(
  join(import.meta.dirname, '..', '..', 'fixtures', 'openredirects.txt'),
  'utf8',
)
  .split('\n')
  .slice(1)
  .filter((line) => line.length > 0);

let stack: TestStack;
let host: TestHost;
let driver: ConnectDriver;
/** Every secret-bearing value seen during the suite, with where the protocol lets it appear. */
const secretsSeen = new Set<string>();

beforeAll(async () => {
  stack = await startTestStack();
  host = await startTestHost(stack);
  driver = new ConnectDriver(stack, host);
  secretsSeen.add(stack.local.clientSecret);
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

/** Opens the flow cookie with the key from Key Vault, as only keyrelay can: the canary learns the verifier and nonce. */
async function rememberFlowSecrets(flow: FlowStart): Promise<void> {
  const [name = '', value = ''] = flow.cookie.split(/=(.*)/s);
  const separator = value.indexOf('.');
  const keySecret = await stack.core.secretStore.getSecretVersion(COOKIE_KEY_SECRET_NAME, value.slice(0, separator));
  if (keySecret === undefined) throw new Error('the cookie names no cookie-key version');
  const opened = openAuthCookie({ name, value: value.slice(separator + 1) }, Buffer.from(keySecret.value, 'base64'), {
    now: () => new Date(),
  });
  if (!opened.ok) throw new Error(`cannot open the flow cookie: ${opened.code}`);
  for (const secret of [
    keySecret.value,
    value,
    opened.payload.state,
    opened.payload.codeVerifier,
    opened.payload.nonce,
  ])
    secretsSeen.add(secret);
}

async function startFlow(query?: string): Promise<FlowStart> {
  const flow = await driver.start(query);
  await rememberFlowSecrets(flow);
  return flow;
}

async function signIn(flow: FlowStart, upn: string): Promise<string> {
  const callback = await driver.signIn(flow, { upn });
  secretsSeen.add(queryParam(callback, 'code'));
  return callback;
}

const expectNothingWritten = (act: () => Promise<RecordedResponse>, redemption: Redemption) =>
  driver.expectNothingWritten(act, redemption);

function expectCookieCleared(response: RecordedResponse, flow: FlowStart): void {
  const name = flow.cookie.split('=')[0] ?? '';
  expect(response.setCookies).toEqual([
    expect.stringMatching(new RegExp(`^${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax$`)),
  ]);
}

const SESSION_EXPIRED_IT = 'Sessione di accesso scaduta';
const INVALID_CALLBACK_IT = 'Risposta di accesso non valida';

async function cacheTokens(tid: string, oid: string): Promise<string[]> {
  const cache = await stack.core.secretStore.getSecret(mailboxCacheSecretName(tid, oid));
  const parsed = JSON.parse(cache?.value ?? '{}') as Record<string, Record<string, { secret?: string }>>;
  return ['AccessToken', 'RefreshToken', 'IdToken'].flatMap((section) =>
    Object.values(parsed[section] ?? {}).map((entry) => entry.secret ?? ''),
  );
}

describe('connect a mailbox through the local host', () => {
  it('redirects to Microsoft, signs in, stores the token cache in Key Vault, registers the mailbox and returns to the product', async () => {
    const flow = await startFlow();
    expect(`${flow.authorizeUrl.origin}${flow.authorizeUrl.pathname}`).toBe(
      `${stack.settings.AZURE_AUTHORITY_HOST}/organizations/oauth2/v2.0/authorize`,
    );
    expect(flow.authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(flow.response.setCookies[0]).toMatch(
      /^keyrelay-auth-[0-9a-f]{16}=[^;]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
    );

    const callback = await signIn(flow, MARIO.upn);
    // Entra's extra parameters (session_state, iss) are part of a real answer and are ignored.
    expect(callback).toMatch(/session_state=.*iss=/);
    const response = await driver.callback(callback, flow.cookie);

    expect(response.status).toBe(302);
    expect(response.location).toBe(`${PRODUCT_RETURN_URL}?keyrelay=connected&mailbox=${encodeURIComponent(MARIO.upn)}`);
    expectCookieCleared(response, flow);
    const cache = await stack.core.secretStore.getSecret(mailboxCacheSecretName(CONTOSO_TENANT_ID, MARIO.oid));
    expect(cache?.contentType).toBe('application/json');
    expect(cache?.tags).toEqual({ kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid: CONTOSO_TENANT_ID });
    expect(await stack.core.mailboxRegistry.get(MARIO.upn)).toMatchObject({
      tenantId: CONTOSO_TENANT_ID,
      objectId: MARIO.oid,
      status: 'ok',
    });
    for (const token of await cacheTokens(CONTOSO_TENANT_ID, MARIO.oid)) secretsSeen.add(token);
  });

  it('answers an HTML result page in the browser language when the flow had no return URL', async () => {
    const flow = await startFlow('');
    const response = await driver.callback(await signIn(flow, GIULIA.upn), flow.cookie, {
      'accept-language': 'en-GB,en;q=0.9',
    });
    expect(response.status).toBe(200);
    expect(response.body).toContain('Mailbox connected');
    expect(response.body).toContain(GIULIA.upn);
    expect(response.body).toContain('SMTP submission (AUTH XOAUTH2) checked: it works.');
    expect((await stack.core.mailboxRegistry.get(GIULIA.upn))?.smtpAuth?.state).toBe('ok');
    expectCookieCleared(response, flow);
    for (const token of await cacheTokens(CONTOSO_TENANT_ID, GIULIA.oid)) secretsSeen.add(token);
  });

  it('a mailbox whose SMTP AUTH is disabled (535 5.7.139) connects, and the result page and registry say so with the fix', async () => {
    const user = stack.local.ctx.tenants
      .flatMap((tenant) => tenant.users)
      .find((candidate) => candidate.upn === GIULIA.upn)!;
    user.smtpAuthDisabled = true;
    try {
      const flow = await startFlow('');
      const response = await driver.callback(await signIn(flow, GIULIA.upn), flow.cookie, { 'accept-language': 'it' });

      expect(response.status).toBe(200);
      expect(response.body).toContain('535 5.7.139');
      expect(response.body).toContain(
        `Set-CASMailbox -Identity ${GIULIA.upn} -SmtpClientAuthenticationDisabled $false`,
      );
      expect(await stack.core.mailboxRegistry.get(GIULIA.upn)).toMatchObject({
        status: 'ok',
        smtpAuth: { state: 'disabled', code: '5.7.139' },
      });
      for (const token of await cacheTokens(CONTOSO_TENANT_ID, GIULIA.oid)) secretsSeen.add(token);
    } finally {
      user.smtpAuthDisabled = false;
    }
  });

  it('lets two tabs connect at the same time: both finish', async () => {
    const tabA = await startFlow();
    const tabB = await startFlow();
    expect(tabA.cookie.split('=')[0]).not.toBe(tabB.cookie.split('=')[0]);
    const jar = `${tabA.cookie}; ${tabB.cookie}`;
    const callbackA = await signIn(tabA, MARIO.upn);
    const callbackB = await signIn(tabB, ANNA.upn);
    const [responseB, responseA] = await Promise.all([
      driver.callback(callbackB, jar),
      driver.callback(callbackA, jar),
    ]);
    expect(responseA.location).toContain('mailbox=mario.rossi%40contoso.onmicrosoft.com');
    expect(responseB.location).toContain('mailbox=anna.verdi%40fabrikam.onmicrosoft.com');
    expect(await stack.core.mailboxRegistry.get(ANNA.upn)).toMatchObject({
      tenantId: FABRIKAM_TENANT_ID,
      objectId: ANNA.oid,
    });
    for (const token of await cacheTokens(FABRIKAM_TENANT_ID, ANNA.oid)) secretsSeen.add(token);
  });

  it('sends Cache-Control: no-store on both routes and CSP, Referrer-Policy, nosniff on HTML pages', async () => {
    const flow = await startFlow();
    expect(flow.response.headers.get('cache-control')).toBe('no-store');
    expect(flow.response.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await driver.callback(await signIn(flow, MARIO.upn), undefined);
    const refused = await driver.get('/api/connect?returnUrl=https%3A%2F%2Fevil.example');
    for (const html of [page, refused]) {
      expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(html.headers.get('cache-control')).toBe('no-store');
      expect(html.headers.get('content-security-policy')).toMatch(/^default-src 'none';.*frame-ancestors 'none'/);
      expect(html.headers.get('referrer-policy')).toBe('no-referrer');
      expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('reconnecting a mailbox', () => {
  const NEWSLETTER = { upn: 'newsletter@contoso.onmicrosoft.com', oid: '1a2b3c4d-0003-4a5b-8c6d-7e8f9a0b1c2d' };
  const versions = () =>
    driver.writtenState().then((state) => state.secrets[mailboxCacheSecretName(CONTOSO_TENANT_ID, NEWSLETTER.oid)]);
  const connectNewsletter = async () => {
    const flow = await startFlow();
    expect((await driver.callback(await signIn(flow, NEWSLETTER.upn), flow.cookie)).status).toBe(302);
    return stack.core.mailboxRegistry.get(NEWSLETTER.upn);
  };

  it('a healthy mailbox connected again writes no Key Vault version (the row is renewed); one marked reconnect_required gets the new cache', async () => {
    const first = await connectNewsletter();
    expect(await versions()).toBe(1);
    const second = await connectNewsletter();
    expect(await versions()).toBe(1);
    expect(second?.connectedAt.getTime()).toBeGreaterThanOrEqual(first?.connectedAt.getTime() ?? Infinity);
    await stack.core.mailboxRegistry.markReconnectRequired(NEWSLETTER.upn, 'invalid_grant:50173', new Date());
    expect(await connectNewsletter()).toMatchObject({ status: 'ok' });
    expect(await versions()).toBe(2);
  });
});

describe('the callback refuses bad input with a 4xx page and writes nothing', () => {
  it('missing cookie: 400 session expired, no code redeemed', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    const response = await expectNothingWritten(() => driver.callback(callback, undefined), 'none');
    expectErrorPage(response, 400, 'cookie_missing', SESSION_EXPIRED_IT);
  });

  it('expired cookie (sealed 11 minutes ago with the real key): 400, no code redeemed', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    const [name = '', value = ''] = flow.cookie.split(/=(.*)/s);
    const version = value.slice(0, value.indexOf('.'));
    const key = await stack.core.secretStore.getSecretVersion(COOKIE_KEY_SECRET_NAME, version);
    const elevenMinutesAgo = { now: () => new Date(Date.now() - 11 * 60 * 1000) };
    const expired = sealAuthCookie(
      { state: queryParam(callback, 'state'), codeVerifier: 'v'.repeat(43), nonce: 'n'.repeat(43) },
      Buffer.from(key?.value ?? '', 'base64'),
      elevenMinutesAgo,
      false,
    );
    const response = await expectNothingWritten(
      () => driver.callback(callback, `${name}=${version}.${expired.value}`),
      'none',
    );
    expectErrorPage(response, 400, 'cookie_expired', SESSION_EXPIRED_IT);
  });

  it('tampered cookie: 400 invalid callback, no code redeemed', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    const middle = Math.floor(flow.cookie.length * 0.75);
    const flipped = flow.cookie[middle] === 'A' ? 'B' : 'A';
    const tampered = `${flow.cookie.slice(0, middle)}${flipped}${flow.cookie.slice(middle + 1)}`;
    const response = await expectNothingWritten(() => driver.callback(callback, tampered), 'none');
    expectErrorPage(response, 400, 'cookie_invalid', INVALID_CALLBACK_IT);
  });

  it('replayed state after success, cookie already cleared by the browser: 400, no second redemption', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    expect((await driver.callback(callback, flow.cookie)).status).toBe(302);
    const response = await expectNothingWritten(() => driver.callback(callback, undefined), 'none');
    expectErrorPage(response, 400, 'cookie_missing', SESSION_EXPIRED_IT);
  });

  it('replayed callback with a kept cookie: 409 flow_already_used, no second redemption, nothing written', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    expect((await driver.callback(callback, flow.cookie)).status).toBe(302);
    const response = await expectNothingWritten(() => driver.callback(callback, flow.cookie), 'none');
    expectErrorPage(response, 409, 'flow_already_used', 'Collegamento già concluso');
  });

  it('two callbacks of one flow at once: one is answered, the other refused without a redemption', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    const redemptionsBefore = driver.codeRedemptions().total;
    const answers = await Promise.all([driver.callback(callback, flow.cookie), driver.callback(callback, flow.cookie)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 409]);
    expect(driver.codeRedemptions().total - redemptionsBefore).toBe(1);
  });

  it('a loginHint that is not the account that signed in: 400 account_mismatch, nothing written', async () => {
    const flow = await startFlow(
      `?returnUrl=${encodeURIComponent(PRODUCT_RETURN_URL)}&loginHint=${encodeURIComponent(MARIO.upn.toUpperCase())}`,
    );
    const callback = await signIn(flow, GIULIA.upn);
    const response = await expectNothingWritten(() => driver.callback(callback, flow.cookie), 'accepted');
    expectErrorPage(response, 400, 'account_mismatch', 'Account diverso da quello atteso');
  });

  it('mismatched verifier (code of one flow with the state and cookie of another): Entra refuses it, 400, nothing written', async () => {
    const tabA = await startFlow();
    const tabB = await startFlow();
    const callbackA = await signIn(tabA, MARIO.upn);
    const injected = `/api/oauth/callback?code=${encodeURIComponent(queryParam(callbackA, 'code'))}&state=${encodeURIComponent(tabB.authorizeUrl.searchParams.get('state') ?? '')}`;
    const response = await expectNothingWritten(() => driver.callback(injected, tabB.cookie), 'refused');
    expectErrorPage(response, 400, 'code_rejected', INVALID_CALLBACK_IT);
  });

  it('upstream error with HTML in error_description: 400 explanation, description escaped away, cookie cleared, no redemption', async () => {
    const flow = await startFlow();
    const state = flow.authorizeUrl.searchParams.get('state') ?? '';
    const description = `<script>alert("pwned")</script><img src=x onerror=alert(1)> AADSTS65001: consent missing`;
    const query = new URLSearchParams({ error: 'consent_required', error_description: description, state });
    const response = await expectNothingWritten(
      () => driver.callback(`/api/oauth/callback?${query.toString()}`, flow.cookie),
      'none',
    );
    expectErrorPage(response, 400, 'consent_required', 'Serve il consenso');
    expect(response.body).not.toContain('<script');
    expect(response.body).not.toContain('pwned');
    expect(response.body).not.toContain('onerror');
    expect(response.body).toContain('/organizations/v2.0/adminconsent?');
    expectCookieCleared(response, flow);
  });

  it('sign-in cancelled on the Entra page: 400 page in Italian, no redemption', async () => {
    const flow = await startFlow();
    const { redirect } = await (
      await import('../../../dev/cloud/entraSignIn.js')
    ).signInThroughForm(flow.authorizeUrl.href, { upn: MARIO.upn, cancel: true });
    const response = await expectNothingWritten(
      () => driver.callback(`${redirect.pathname}${redirect.search}`, flow.cookie),
      'none',
    );
    expectErrorPage(response, 400, 'access_denied', 'Consenso rifiutato');
  });

  describe('an id token that fails validation (Entra emulator tampering with its claims)', () => {
    it.each([
      ['a wrong nonce', { nonce: 'bm9uY2Utb2YtYW5vdGhlci1mbG93' }, 'id_token_nonce_mismatch'],
      ['an iss of another tenant than tid', { iss: 'ISSUER_OF_FABRIKAM' }, 'id_token_issuer_mismatch'],
      ['a tid that is not a GUID', { tid: 'contoso.onmicrosoft.com' }, 'id_token_invalid_tid'],
      ['a wrong aud', { aud: '00000000-0000-4000-8000-000000000001' }, 'id_token_audience_mismatch'],
    ])('%s: 400, nothing written', async (_, claims, code) => {
      const resolved = Object.fromEntries(
        Object.entries(claims).map(([claim, value]) => [
          claim,
          value === 'ISSUER_OF_FABRIKAM' ? `${stack.settings.AZURE_AUTHORITY_HOST}/${FABRIKAM_TENANT_ID}/v2.0` : value,
        ]),
      );
      const flow = await startFlow();
      const callback = await signIn(flow, MARIO.upn);
      stack.local.cloud.injectFault({ service: 'entra', route: 'id_token', kind: 'id_token_claims', claims: resolved });
      const response = await expectNothingWritten(() => driver.callback(callback, flow.cookie), 'accepted');
      expectErrorPage(response, 400, code, INVALID_CALLBACK_IT);
    });
  });

  /** `holder` connects; `intruder` signs in with an id token that presents `presented` as its address. */
  async function expectAddressTaken(
    holder: { upn: string; oid: string },
    intruder: { upn: string },
    presented: string,
  ): Promise<void> {
    const flow = await startFlow();
    expect((await driver.callback(await signIn(flow, holder.upn), flow.cookie)).status).toBe(302);
    const intruderFlow = await startFlow();
    const callback = await signIn(intruderFlow, intruder.upn);
    const claims = { preferred_username: presented };
    stack.local.cloud.injectFault({ service: 'entra', route: 'id_token', kind: 'id_token_claims', claims });
    const response = await expectNothingWritten(() => driver.callback(callback, intruderFlow.cookie), 'accepted');
    expectErrorPage(response, 409, 'mailbox_taken', 'Indirizzo già collegato da un altro account');
    expect(await stack.core.mailboxRegistry.get(holder.upn)).toMatchObject({ objectId: holder.oid });
  }

  it('another identity presenting an address already bound (same tenant): 409 mailbox_taken, nothing written', () =>
    expectAddressTaken(MARIO, GIULIA, MARIO.upn.toUpperCase()));

  it('a look-alike address (Kelvin sign) from another tenant: 409 mailbox_taken, nothing written', () =>
    expectAddressTaken(MARKETING, ANNA, MARKETING.upn.replace('k', '\u212A')));

  it('an address that is not ASCII after NFKC (Cyrillic a): 400 id_token_invalid_upn, nothing written', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, GIULIA.upn);
    stack.local.cloud.injectFault({
      service: 'entra',
      route: 'id_token',
      kind: 'id_token_claims',
      claims: { preferred_username: 'm\u0430rio.rossi@contoso.onmicrosoft.com' },
    });
    const response = await expectNothingWritten(() => driver.callback(callback, flow.cookie), 'accepted');
    expectErrorPage(response, 400, 'id_token_invalid_upn', INVALID_CALLBACK_IT);
  });

  it('duplicated parameters: 400, no redemption', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    const response = await expectNothingWritten(
      () => driver.callback(`${callback}&code=${encodeURIComponent(queryParam(callback, 'code'))}`, flow.cookie),
      'none',
    );
    expectErrorPage(response, 400, 'duplicated_parameter', INVALID_CALLBACK_IT);
  });

  it('an 8 KB state: 400, no redemption', async () => {
    const flow = await startFlow();
    const response = await expectNothingWritten(
      () => driver.callback(`/api/oauth/callback?code=abc&state=${'s'.repeat(8 * 1024)}`, flow.cookie),
      'none',
    );
    expectErrorPage(response, 400, 'state_too_long', INVALID_CALLBACK_IT);
  });

  it('invalid UTF-8: 400, no redemption', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, MARIO.upn);
    const response = await expectNothingWritten(() => driver.callback(`${callback}&note=%C3%28`, flow.cookie), 'none');
    expectErrorPage(response, 400, 'invalid_utf8', INVALID_CALLBACK_IT);
  });

  it('unknown extra parameters are ignored: the sign-in completes', async () => {
    const flow = await startFlow();
    const callback = await signIn(flow, GIULIA.upn);
    const response = await driver.callback(`${callback}&client_info=abc&utm_source=mail`, flow.cookie);
    expect(response.status).toBe(302);
    expect(response.location).toContain('keyrelay=connected');
  });
});

describe('the admin-consent reply', () => {
  it('an admin-consent reply without a flow shows a neutral page: 200, no claim that consent was granted, nothing written', async () => {
    const response = await expectNothingWritten(
      () => driver.get(`/api/oauth/callback?admin_consent=True&tenant=${CONTOSO_TENANT_ID}`),
      'none',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('Risposta dalla pagina di consenso');
    expect(response.body).not.toMatch(/concesso|granted/i);
  });
});

describe('/api/connect refuses bad input with a 400 page and sets no cookie', () => {
  it.each(OPEN_REDIRECT_PAYLOADS.map((payload, index) => [index + 1, payload]))(
    'open-redirect payload %i: %s',
    async (_, payload) => {
      const response = await driver.get(`/api/connect?returnUrl=${encodeURIComponent(String(payload))}`);
      expect(response.status).toBe(400);
      expect(response.location).toBeNull();
      expect(response.setCookies).toEqual([]);
      expect(response.body).toContain('<code>invalid_request</code>');
    },
  );

  it('has at least 50 open-redirect payloads to try', () => {
    expect(OPEN_REDIRECT_PAYLOADS.length).toBeGreaterThanOrEqual(50);
  });

  it.each([
    [
      'a duplicated returnUrl',
      `?returnUrl=${encodeURIComponent(PRODUCT_RETURN_URL)}&returnUrl=${encodeURIComponent(PRODUCT_RETURN_URL)}`,
    ],
    ['invalid UTF-8 in returnUrl', `?returnUrl=${encodeURIComponent(PRODUCT_RETURN_URL)}%2F%FF`],
    [
      'a return URL that grows past 2048 characters once normalised',
      `?returnUrl=${encodeURIComponent(`${PRODUCT_RETURN_URL}/${'é'.repeat(1000)}`)}`,
    ],
    ['a login hint that is not an address', '?loginHint=%3Cscript%3E'],
  ])('%s', async (_, query) => {
    const response = await expectNothingWritten(() => driver.get(`/api/connect${query}`), 'none');
    expect(response.status).toBe(400);
    expect(response.setCookies).toEqual([]);
    expect(response.body).toContain('<code>invalid_request</code>');
  });
});

describe('canary', () => {
  it('no secret-bearing value appears in a host log line, a response body, a page or a redirect, except where the protocol puts it', () => {
    const secrets = [...secretsSeen].filter((secret) => secret.length >= 16);
    expect(secrets.length).toBeGreaterThan(20);
    const logs = host.logs.join('\n');
    const leaks: string[] = [];
    for (const secret of secrets) {
      if (logs.includes(secret)) leaks.push(`host log contains ${secret.slice(0, 6)}…`);
      for (const response of driver.responses) {
        if (response.body.includes(secret)) leaks.push(`body of ${response.url} contains ${secret.slice(0, 6)}…`);
        const location = response.location ?? '';
        // The authorize redirect carries state and nonce by protocol; nothing else may carry a secret.
        const authorizeParams = location.startsWith(stack.settings.AZURE_AUTHORITY_HOST ?? '-')
          ? new URL(location).searchParams
          : undefined;
        const allowed =
          authorizeParams !== undefined &&
          (authorizeParams.get('state') === secret || authorizeParams.get('nonce') === secret);
        if (location.includes(secret) && !allowed)
          leaks.push(`redirect of ${response.url} contains ${secret.slice(0, 6)}…`);
        const cookies = response.setCookies.join('\n');
        // The flow cookie is set by /api/connect by design; no other response may carry a secret in a cookie.
        if (cookies.includes(secret) && !response.url.includes('/api/connect'))
          leaks.push(`cookie of ${response.url} contains ${secret.slice(0, 6)}…`);
      }
    }
    expect(leaks).toEqual([]);
    expect(driver.responses.length).toBeGreaterThan(OPEN_REDIRECT_PAYLOADS.length);
  });
});
