// MSAL Node and @azure/identity against the Entra emulator over real HTTPS (local CA via
// NODE_EXTRA_CA_CERTS from the global setup): the flows keyrelay relies on and their failures.
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import {
  ConfidentialClientApplication,
  CryptoProvider,
  InteractionRequiredAuthError,
  ServerError,
  type AuthenticationResult,
} from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { removeEnterpriseApp } from '../../../dev/cloud/entraServicePrincipals.js';
import { signInThroughForm } from '../../../dev/cloud/entraSignIn.js';
import { ADMIN_CONSENT_SCOPES, adminConsentUrl } from '#src/shared/domain/connect/authorizeRequest.js';
import {
  CONTOSO_TENANT_ID,
  FABRIKAM_TENANT_ID,
  KEYRELAY_APP_ID,
  KEYRELAY_IDENTITY_OBJECT_ID,
  startLocalCloud,
  type StartedLocalCloud,
} from '../../../dev/cloud/index.js';

const PUBLIC_BASE_URL = 'https://keyrelay.test';
const REDIRECT_URI = `${PUBLIC_BASE_URL}/api/oauth/callback`;
const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';
const GRAPH_MAIL_SCOPE = 'https://graph.microsoft.com/Mail.Send';
const USER = 'mario.rossi@contoso.onmicrosoft.com';

let local: StartedLocalCloud;

beforeAll(async () => {
  local = await startLocalCloud({ publicBaseUrl: PUBLIC_BASE_URL });
});

afterAll(async () => {
  await local.stop();
});

beforeEach(() => {
  local.cloud.clearFaults();
});

function msalApp(clientSecret = local.clientSecret): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: KEYRELAY_APP_ID,
      authority: local.urls.authority('organizations'),
      clientSecret,
      knownAuthorities: [new URL(local.urls.entra).host],
    },
  });
}

interface StartedSignIn {
  code: string;
  verifier: string;
  nonce: string;
  state: string;
  redirect: URL;
}

async function signIn(app: ConfidentialClientApplication, upn = USER): Promise<StartedSignIn> {
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = randomUUID();
  const nonce = randomUUID();
  const url = await app.getAuthCodeUrl({
    scopes: [SMTP_SCOPE, 'offline_access'],
    extraScopesToConsent: [GRAPH_MAIL_SCOPE],
    redirectUri: REDIRECT_URI,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    state,
    nonce,
    loginHint: upn,
  });
  const { redirect } = await signInThroughForm(url, { upn });
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code in redirect: ${redirect.searchParams.get('error_description') ?? ''}`);
  return { code, verifier: pkce.verifier, nonce, state, redirect };
}

function redeem(
  app: ConfidentialClientApplication,
  started: StartedSignIn,
  verifier = started.verifier,
): Promise<AuthenticationResult> {
  return app.acquireTokenByCode({
    code: started.code,
    scopes: [SMTP_SCOPE],
    redirectUri: REDIRECT_URI,
    codeVerifier: verifier,
    nonce: started.nonce,
  });
}

describe('Entra emulator with MSAL Node (authorization code + PKCE)', () => {
  it('redirects back with code, state, session_state and iss, and MSAL redeems it for an Outlook token with id token claims', async () => {
    const app = msalApp();
    const started = await signIn(app);
    expect(started.redirect.origin + started.redirect.pathname).toBe(REDIRECT_URI);
    expect(started.redirect.searchParams.get('state')).toBe(started.state);
    expect(started.redirect.searchParams.get('session_state')).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.redirect.searchParams.get('iss')).toBe(`${local.urls.entra}/${CONTOSO_TENANT_ID}/v2.0`);

    const result = await redeem(app, started);
    const access = decodeJwt(result.accessToken);
    expect(access.aud).toBe('https://outlook.office.com');
    expect(access.scp).toBe('SMTP.Send');
    expect(access.tid).toBe(CONTOSO_TENANT_ID);
    expect(result.account?.username).toBe(USER);
    expect(result.account?.homeAccountId).toBe(`${String(access.oid)}.${CONTOSO_TENANT_ID}`);
    const idClaims = result.idTokenClaims as Record<string, unknown>;
    expect(idClaims).toMatchObject({
      aud: KEYRELAY_APP_ID,
      tid: CONTOSO_TENANT_ID,
      nonce: started.nonce,
      preferred_username: USER,
    });
    expect(idClaims.iss).toBe(`${local.urls.entra}/${CONTOSO_TENANT_ID}/v2.0`);
  });

  it('refreshes through acquireTokenSilent with forceRefresh and mints the Graph audience from the same grant', async () => {
    const app = msalApp();
    const first = await redeem(app, await signIn(app));
    local.cloud.clearRequestLog();
    const refreshed = await app.acquireTokenSilent({
      account: first.account!,
      scopes: [SMTP_SCOPE],
      forceRefresh: true,
    });
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(decodeJwt(refreshed.accessToken).aud).toBe('https://outlook.office.com');
    expect(local.cloud.countRequests('entra', 'token.refresh_token')).toBe(1);

    const graph = await app.acquireTokenSilent({ account: first.account!, scopes: [GRAPH_MAIL_SCOPE] });
    expect(decodeJwt(graph.accessToken)).toMatchObject({ aud: 'https://graph.microsoft.com', scp: 'Mail.Send' });
  });

  it('signs in a user of a second tenant through the organizations authority', async () => {
    const app = msalApp();
    const result = await redeem(app, await signIn(app, 'anna.verdi@fabrikam.onmicrosoft.com'));
    expect(result.tenantId).toBe(FABRIKAM_TENANT_ID);
    expect(decodeJwt(result.accessToken).tid).toBe(FABRIKAM_TENANT_ID);
  });

  it('rejects a second redemption of the same code with AADSTS54005', async () => {
    const app = msalApp();
    const started = await signIn(app);
    await redeem(app, started);
    const error = await redeem(msalApp(), started).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).errorCode).toBe('invalid_grant');
    expect((error as ServerError).errorMessage).toContain('AADSTS54005');
  });

  it('rejects a wrong PKCE verifier with AADSTS501481', async () => {
    const app = msalApp();
    const started = await signIn(app);
    const wrong = (await new CryptoProvider().generatePkceCodes()).verifier;
    const error = await redeem(app, started, wrong).catch((e: unknown) => e);
    expect((error as ServerError).errorCode).toBe('invalid_grant');
    expect((error as ServerError).errorMessage).toContain('AADSTS501481');
  });

  it('fails refresh with AADSTS50173 (interaction required) after the user is revoked, and AADSTS700082 after 90 idle days', async () => {
    const app = msalApp();
    const result = await redeem(app, await signIn(app, 'giulia.bianchi@contoso.onmicrosoft.com'));
    local.cloud.revokeUser('giulia.bianchi@contoso.onmicrosoft.com');
    const revoked = await app
      .acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(InteractionRequiredAuthError);
    expect((revoked as InteractionRequiredAuthError).errorMessage).toContain('AADSTS50173');

    const other = msalApp();
    const fresh = await redeem(other, await signIn(other, 'newsletter@contoso.onmicrosoft.com'));
    local.cloud.advanceClock(91 * 24 * 60 * 60 * 1000);
    try {
      const idle = await other
        .acquireTokenSilent({ account: fresh.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
        .catch((e: unknown) => e);
      expect(idle).toBeInstanceOf(InteractionRequiredAuthError);
      expect((idle as InteractionRequiredAuthError).errorMessage).toContain('AADSTS700082');
    } finally {
      local.cloud.setClockOffset(0);
    }
  });

  it('refuses a token for a scope the user never consented to with AADSTS65001', async () => {
    const app = msalApp();
    const result = await redeem(app, await signIn(app));
    const error = await app
      .acquireTokenSilent({
        account: result.account!,
        scopes: ['https://graph.microsoft.com/Mail.ReadWrite'],
        forceRefresh: true,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteractionRequiredAuthError);
    expect((error as InteractionRequiredAuthError).errorMessage).toContain('AADSTS65001');
  });
});

describe('Entra emulator authorize page', () => {
  it('renders an error page (no redirect) for an unregistered redirect URI', async () => {
    const url = new URL(`${local.urls.authority()}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: KEYRELAY_APP_ID,
      response_type: 'code',
      redirect_uri: 'https://evil.test/cb',
      scope: 'openid',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('AADSTS50011');
  });

  it('answers prompt=none without a session with login_required, and with a session with a code', async () => {
    const params = {
      client_id: KEYRELAY_APP_ID,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: `openid offline_access ${SMTP_SCOPE}`,
      state: 's1',
    };
    const url = new URL(`${local.urls.authority()}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({ ...params, prompt: 'none' }).toString();
    const silent = await fetch(url, { redirect: 'manual' });
    const location = new URL(silent.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe('s1');

    url.search = new URLSearchParams(params).toString();
    const { sessionCookie } = await signInThroughForm(url.toString(), { upn: USER });
    url.search = new URLSearchParams({ ...params, prompt: 'none' }).toString();
    const again = await fetch(url, { redirect: 'manual', headers: { cookie: sessionCookie! } });
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('redirects with access_denied AADSTS65004 when the user cancels', async () => {
    const url = new URL(`${local.urls.authority()}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: KEYRELAY_APP_ID,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: SMTP_SCOPE,
      state: 'x',
    }).toString();
    const { redirect } = await signInThroughForm(url.toString(), { upn: USER, cancel: true });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('error_description')).toMatch(/^AADSTS65004:/);
  });

  it('rejects a code_challenge_method other than S256', async () => {
    const url = new URL(`${local.urls.authority()}/oauth2/v2.0/authorize`);
    url.search = new URLSearchParams({
      client_id: KEYRELAY_APP_ID,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: SMTP_SCOPE,
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'plain',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });
});

/** The keyrelay app with its client secret, as a confidential client of its home tenant. */
function keyrelayAppClient(): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: KEYRELAY_APP_ID,
      authority: local.urls.authority(CONTOSO_TENANT_ID),
      clientSecret: local.clientSecret,
      knownAuthorities: [new URL(local.urls.entra).host],
    },
  });
}

describe('Entra emulator client credentials and client secrets', () => {
  it('gives ClientSecretCredential a vault token for the keyrelay identity, whose oid is its object id (not its client id)', async () => {
    const credential = new ClientSecretCredential(
      CONTOSO_TENANT_ID,
      local.settings.AZURE_CLIENT_ID,
      local.settings.AZURE_CLIENT_SECRET,
      {
        authorityHost: local.urls.entra,
        disableInstanceDiscovery: true,
      },
    );
    const token = await credential.getToken('https://vault.azure.net/.default');
    await expect(local.verifier.verify(token.token, 'https://vault.azure.net')).resolves.toMatchObject({
      oid: KEYRELAY_IDENTITY_OBJECT_ID,
    });
    await expect(local.verifier.verify(token.token, 'https://graph.microsoft.com')).rejects.toThrow();
    expect(decodeJwt(token.token)).toMatchObject({
      aud: 'https://vault.azure.net',
      tid: CONTOSO_TENANT_ID,
      appid: local.settings.AZURE_CLIENT_ID,
    });
    const graphToken = await credential.getToken('https://graph.microsoft.com/.default');
    expect(decodeJwt(graphToken.token).roles).toEqual([
      'Application.ReadWrite.OwnedBy',
      'Policy.Read.All',
      'Mail.Send',
    ]);
  });

  it('accepts the app secret for client credentials, then rejects it as expired (7000222) and as removed (7000215)', async () => {
    const credential = local.ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!.passwordCredentials[0]!;
    const originalEnd = credential.endDateTime;
    const request = { scopes: ['https://graph.microsoft.com/.default'], skipCache: true };
    const app = keyrelayAppClient;
    expect((await app().acquireTokenByClientCredential(request))?.accessToken).toBeTruthy();

    local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, credential.keyId, new Date(Date.now() - 60_000));
    const expired = await app()
      .acquireTokenByClientCredential(request)
      .catch((e: unknown) => e);
    expect((expired as ServerError).errorCode).toBe('invalid_client');
    expect((expired as ServerError).errorMessage).toContain('AADSTS7000222');

    local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, credential.keyId, originalEnd);
    const application = local.ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!;
    const saved = application.passwordCredentials.splice(0);
    try {
      const removed = await app()
        .acquireTokenByClientCredential(request)
        .catch((e: unknown) => e);
      expect((removed as ServerError).errorCode).toBe('invalid_client');
      expect((removed as ServerError).errorMessage).toContain('AADSTS7000215');
    } finally {
      application.passwordCredentials.push(...saved);
    }
  });
});

describe('Entra emulator service principals and app roles (DESIGN §7)', () => {
  const request = { scopes: ['https://graph.microsoft.com/.default'], skipCache: true };
  const appClient = keyrelayAppClient;

  it('refuses client credentials of an app without a service principal in its home tenant: invalid_client AADSTS7000229', async () => {
    const index = local.ctx.enterpriseApps.findIndex(
      (sp) => sp.appId === KEYRELAY_APP_ID && sp.tenantId === CONTOSO_TENANT_ID,
    );
    const [removed] = local.ctx.enterpriseApps.splice(index, 1);
    try {
      const refused = await appClient()
        .acquireTokenByClientCredential(request)
        .catch((e: unknown) => e);
      expect((refused as ServerError).errorCode).toBe('invalid_client');
      expect((refused as ServerError).errorMessage).toContain('AADSTS7000229');
    } finally {
      local.ctx.enterpriseApps.push(removed!);
    }
  });

  it('puts in an app-only token only the app roles an admin granted, not those the app merely requests', async () => {
    const application = local.ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!;
    const mailSendRole = { id: 'b633e1c5-b582-4048-a93e-9f11b44c7e96', type: 'Role' as const };
    const graphAccess = application.requiredResourceAccess.find(
      (entry) => entry.resourceAppId === '00000003-0000-0000-c000-000000000000',
    )!;
    graphAccess.resourceAccess.push(mailSendRole);
    try {
      const requestedOnly = await appClient().acquireTokenByClientCredential(request);
      expect(decodeJwt(requestedOnly!.accessToken).roles).toBeUndefined();
      const servicePrincipal = local.ctx.enterpriseApps.find(
        (sp) => sp.appId === KEYRELAY_APP_ID && sp.tenantId === CONTOSO_TENANT_ID,
      )!;
      local.ctx.appRoleAssignments.push({
        id: randomUUID(),
        principalId: servicePrincipal.id,
        resourceId: '5f1d6c1e-7a8b-4b6e-9d3a-000000000003',
        appRoleId: mailSendRole.id,
        tenantId: CONTOSO_TENANT_ID,
        createdDateTime: new Date().toISOString(),
      });
      const granted = await appClient().acquireTokenByClientCredential(request);
      expect(decodeJwt(granted!.accessToken)).toMatchObject({ roles: ['Mail.Send'], oid: servicePrincipal.id });
    } finally {
      graphAccess.resourceAccess.pop();
      local.ctx.appRoleAssignments.splice(0);
    }
  });
});

describe('Entra emulator admin consent (v1 and v2)', () => {
  async function consent(url: string, tenantId: string, action: 'accept' | 'cancel'): Promise<URL> {
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('admin consent');
    const answer = await fetch(url, {
      method: 'POST',
      body: new URLSearchParams({ tenant: tenantId, action }),
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    return new URL(answer.headers.get('location')!);
  }

  it("v2 (the link keyrelay's pages show): records the consent and creates the app's service principal in that tenant", async () => {
    // Whether or not an earlier sign-in consented: start from a tenant without the app.
    removeEnterpriseApp(local.ctx, KEYRELAY_APP_ID, FABRIKAM_TENANT_ID);
    const link = adminConsentUrl({
      authorityHost: local.urls.entra,
      tenant: FABRIKAM_TENANT_ID,
      clientId: KEYRELAY_APP_ID,
      redirectUri: REDIRECT_URI,
      scopes: ADMIN_CONSENT_SCOPES,
      state: 'st-1',
    });

    const back = await consent(link, FABRIKAM_TENANT_ID, 'accept');

    expect(Object.fromEntries(back.searchParams)).toMatchObject({
      admin_consent: 'True',
      tenant: FABRIKAM_TENANT_ID,
      state: 'st-1',
    });
    expect([...local.ctx.consents.get(`${FABRIKAM_TENANT_ID}|${KEYRELAY_APP_ID}`)!]).toEqual(
      expect.arrayContaining(['https://outlook.office.com/SMTP.Send', 'https://graph.microsoft.com/Mail.Send']),
    );
    expect(
      local.ctx.enterpriseApps.some((sp) => sp.appId === KEYRELAY_APP_ID && sp.tenantId === FABRIKAM_TENANT_ID),
    ).toBe(true);
  });

  it('v1: grants what the registration requests; a declined consent records nothing', async () => {
    // Whether or not an earlier sign-in consented: start from a tenant without the app.
    removeEnterpriseApp(local.ctx, KEYRELAY_APP_ID, FABRIKAM_TENANT_ID);
    const link = `${local.urls.entra}/${FABRIKAM_TENANT_ID}/adminconsent?${new URLSearchParams({ client_id: KEYRELAY_APP_ID, redirect_uri: REDIRECT_URI, state: 'st-2' }).toString()}`;

    const declined = await consent(link, FABRIKAM_TENANT_ID, 'cancel');
    expect(declined.searchParams.get('error')).toBe('access_denied');
    expect(local.ctx.consents.has(`${FABRIKAM_TENANT_ID}|${KEYRELAY_APP_ID}`)).toBe(false);

    const back = await consent(link, FABRIKAM_TENANT_ID, 'accept');
    expect(back.searchParams.get('admin_consent')).toBe('True');
    expect([...local.ctx.consents.get(`${FABRIKAM_TENANT_ID}|${KEYRELAY_APP_ID}`)!].sort()).toEqual([
      'https://graph.microsoft.com/Mail.Send',
      'https://outlook.office.com/SMTP.Send',
    ]);
  });
});

describe('Entra emulator faults seen by MSAL', () => {
  async function signedInAccount(): Promise<{ app: ConfidentialClientApplication; result: AuthenticationResult }> {
    const app = msalApp();
    return { app, result: await redeem(app, await signIn(app)) };
  }

  it('surfaces an injected 503 with Retry-After on the token route as a ServerError', async () => {
    const { app, result } = await signedInAccount();
    local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 1,
    });
    const error = await app
      .acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).errorMessage).toContain('AADSTS90033');
    expect(local.cloud.requestLog().entries.at(-1)).toMatchObject({
      service: 'entra',
      route: 'token.refresh_token',
      status: 503,
    });
  });

  it('surfaces an injected 429 as temporarily_unavailable', async () => {
    const { app, result } = await signedInAccount();
    local.cloud.injectFault({ service: 'entra', route: 'token', kind: 'status', status: 429, retryAfterSeconds: 2 });
    const error = await app
      .acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
      .catch((e: unknown) => e);
    expect((error as ServerError).errorCode).toBe('temporarily_unavailable');
  });

  it('surfaces an injected invalid_grant with suberror as InteractionRequiredAuthError carrying the chosen AADSTS code', async () => {
    const { app, result } = await signedInAccount();
    local.cloud.injectFault({
      service: 'entra',
      route: 'token.refresh_token',
      kind: 'invalid_grant',
      aadsts: 50173,
      suberror: 'bad_token',
    });
    const error = await app
      .acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteractionRequiredAuthError);
    expect((error as InteractionRequiredAuthError).errorMessage).toContain('AADSTS50173');
  });

  it('surfaces an injected invalid_client as AADSTS7000215', async () => {
    const { app, result } = await signedInAccount();
    local.cloud.injectFault({ service: 'entra', route: 'token', kind: 'invalid_client' });
    const error = await app
      .acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
      .catch((e: unknown) => e);
    expect((error as ServerError).errorCode).toBe('invalid_client');
    expect((error as ServerError).errorMessage).toContain('AADSTS7000215');
  });

  it('delays the answer by the injected latency', async () => {
    const { app, result } = await signedInAccount();
    local.cloud.injectFault({ service: 'entra', route: 'token.refresh_token', kind: 'latency', latencyMs: 300 });
    const started = performance.now();
    await app.acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('drops the connection after processing for timeout_after, and MSAL reports a network error', async () => {
    const { app, result } = await signedInAccount();
    local.cloud.injectFault({ service: 'entra', route: 'token.refresh_token', kind: 'timeout_after', latencyMs: 0 });
    const error = await app
      .acquireTokenSilent({ account: result.account!, scopes: [SMTP_SCOPE], forceRefresh: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(local.cloud.requestLog().entries.at(-1)).toMatchObject({ route: 'token.refresh_token', status: 0 });
  });
});
