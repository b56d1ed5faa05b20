// Delegated sendMail: a user signs in through the Entra emulator's page (MSAL Node, auth code + PKCE),
// and the Graph emulator lets the token send only as that user.
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInThroughForm } from '../../../dev/cloud/entraSignIn.js';
import { KEYRELAY_APP_ID, startLocalCloud } from '../../../dev/cloud/index.js';

type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

const PUBLIC_BASE_URL = 'https://keyrelay.example';
const REDIRECT_URI = `${PUBLIC_BASE_URL}/api/oauth/callback`;
const GRAPH_MAIL_SCOPE = 'https://graph.microsoft.com/Mail.Send';
const USER = 'mario.rossi@contoso.onmicrosoft.com';

let cloud: LocalCloud;
let graph: Client;

async function delegatedGraphToken(): Promise<string> {
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: KEYRELAY_APP_ID,
      authority: cloud.urls.authority('organizations'),
      clientSecret: cloud.clientSecret,
      knownAuthorities: [new URL(cloud.urls.entra).host],
    },
  });
  const pkce = await new CryptoProvider().generatePkceCodes();
  const nonce = randomUUID();
  const url = await app.getAuthCodeUrl({
    scopes: [GRAPH_MAIL_SCOPE, 'offline_access'],
    redirectUri: REDIRECT_URI,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    nonce,
    loginHint: USER,
  });
  const { redirect } = await signInThroughForm(url, { upn: USER });
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`sign-in returned no code: ${redirect.searchParams.get('error') ?? ''}`);
  const result = await app.acquireTokenByCode({
    code,
    scopes: [GRAPH_MAIL_SCOPE],
    redirectUri: REDIRECT_URI,
    codeVerifier: pkce.verifier,
    nonce,
  });
  return result.accessToken;
}

function message(subject: string): Record<string, unknown> {
  return {
    message: {
      subject,
      body: { contentType: 'Text', content: 'hello' },
      toRecipients: [{ emailAddress: { address: 'admin@contoso.example' } }],
    },
  };
}

beforeAll(async () => {
  cloud = await startLocalCloud({ publicBaseUrl: PUBLIC_BASE_URL });
  const token = await delegatedGraphToken();
  graph = Client.initWithMiddleware({
    baseUrl: cloud.urls.graph,
    customHosts: new Set([new URL(cloud.urls.graph).hostname]),
    authProvider: { getAccessToken: () => Promise.resolve(token) },
  });
});

afterAll(async () => {
  await cloud?.stop();
});

describe('Graph emulator sendMail with a delegated token', () => {
  it('sends as the signed-in user through /me/sendMail and /users/{upn}/sendMail', async () => {
    await graph.api('/me/sendMail').post(message('via me'));
    await graph.api(`/users/${USER}/sendMail`).post(message('via upn'));
    const sent = cloud.ctx.outbox.filter((m) => m.message.subject === 'via me' || m.message.subject === 'via upn');
    expect(sent.map((m) => m.from)).toEqual([USER, USER]);
  });

  it('refuses with 403 ErrorAccessDenied to send as another user', async () => {
    const tenant = cloud.ctx.tenants.find((t) => t.users.some((u) => u.upn === USER));
    const other = tenant?.users.find((u) => u.upn !== USER);
    if (!other) throw new Error('the seeded tenant has a single user');
    const before = cloud.ctx.outbox.length;
    let failure: { statusCode?: number; code?: string } | undefined;
    try {
      await graph.api(`/users/${other.upn}/sendMail`).post(message('spoofed'));
    } catch (error) {
      failure = error as { statusCode?: number; code?: string };
    }
    expect(failure?.statusCode).toBe(403);
    expect(failure?.code).toBe('ErrorAccessDenied');
    expect(cloud.ctx.outbox.length).toBe(before);
  });
});
