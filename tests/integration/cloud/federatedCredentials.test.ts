// The emulators' workload identity federation, through the real SDKs: Graph's
// applications/{id}/federatedIdentityCredentials with @microsoft/microsoft-graph-client, the managed
// identity's token for api://AzureADTokenExchange with @azure/identity, and MSAL Node's clientAssertion
// against the Entra token endpoint, which accepts only an assertion matching one of the app's credentials.
import { ClientSecretCredential } from '@azure/identity';
import { ConfidentialClientApplication, ServerError } from '@azure/msal-node';
import { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type {
  EmulatedApplication,
  EmulatedFederatedCredential,
  EmulatedServicePrincipal,
} from '../../../dev/cloud/context.js';
import { MAX_FEDERATED_CREDENTIALS } from '../../../dev/cloud/graphFederatedCredentials.js';
import { rejection as rejectionOf } from '../../support/rejection.js';
import { KEYRELAY_IDENTITY_CLIENT_ID, OffsetClock, startLocalCloud } from '../../../dev/cloud/index.js';

type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

const EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const clock = new OffsetClock();
let cloud: LocalCloud;
let app: EmulatedApplication;
let identity: EmulatedServicePrincipal;
let graph: Client;
let identityCredential: ClientSecretCredential;

/** Graph's resource shape is the emulator's record. */
type GraphFederatedCredential = EmulatedFederatedCredential;

const issuerOf = (tenantId: string): string => `${cloud.urls.entra}/${tenantId}/v2.0`;

type SdkError = { statusCode?: number; code?: string; message: string; errorCode?: string; errorMessage?: string };
const rejection = (promise: Promise<unknown>): Promise<SdkError> => rejectionOf<SdkError>(promise);

function credentialsPath(): string {
  return `/applications/${app.id}/federatedIdentityCredentials`;
}

async function addCredential(body: Partial<GraphFederatedCredential>): Promise<GraphFederatedCredential> {
  return (await graph.api(credentialsPath()).post(body)) as GraphFederatedCredential;
}

/** MSAL Node with the identity's token as client assertion: a client-credentials token for Graph. */
function clientCredentialsWithAssertion(assertion: () => Promise<string>): Promise<unknown> {
  const entraHost = new URL(cloud.urls.entra).host;
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: app.appId,
      authority: `${cloud.urls.entra}/${app.tenantId}`,
      knownAuthorities: [entraHost],
      clientAssertion: assertion,
    },
  });
  return msal.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'], skipCache: true });
}

async function identityAssertion(): Promise<string> {
  return (await identityCredential.getToken(`${EXCHANGE_AUDIENCE}/.default`)).token;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  cloud = await startLocalCloud({ clock });
  app = cloud.ctx.applications.find((a) => a.appId === cloud.settings.OAUTH_CLIENT_ID)!;
  identity = cloud.ctx.servicePrincipals.find((s) => s.clientId === KEYRELAY_IDENTITY_CLIENT_ID)!;
  identityCredential = new ClientSecretCredential(identity.tenantId, identity.clientId, identity.secret, {
    authorityHost: cloud.urls.entra,
    disableInstanceDiscovery: true,
  });
  graph = Client.initWithMiddleware({
    baseUrl: cloud.urls.graph,
    customHosts: new Set([new URL(cloud.urls.graph).hostname]),
    authProvider: {
      getAccessToken: async () => (await identityCredential.getToken('https://graph.microsoft.com/.default')).token,
    },
  });
});

afterEach(() => {
  app.federatedIdentityCredentials = [];
  clock.offsetMs = 0;
});

afterAll(async () => {
  await cloud?.stop();
});

describe('Graph federatedIdentityCredentials', () => {
  it("creates, lists, gets by name and deletes a credential in Graph's shape, as an owner with Application.ReadWrite.OwnedBy", async () => {
    const created = await addCredential({
      name: 'keyrelay-managed-identity',
      issuer: issuerOf(app.tenantId),
      subject: cloud.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
      audiences: [EXCHANGE_AUDIENCE],
      description: 'keyrelay',
    });
    expect(created).toMatchObject({
      name: 'keyrelay-managed-identity',
      subject: cloud.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
      audiences: [EXCHANGE_AUDIENCE],
      description: 'keyrelay',
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = (await graph.api(credentialsPath()).get()) as { value: GraphFederatedCredential[] };
    expect(listed.value.map((c) => c.name)).toEqual(['keyrelay-managed-identity']);
    expect(await graph.api(`${credentialsPath()}/keyrelay-managed-identity`).get()).toMatchObject({ id: created.id });

    await graph.api(`${credentialsPath()}/${created.id}`).delete();
    expect(((await graph.api(credentialsPath()).get()) as { value: unknown[] }).value).toEqual([]);
    expect((await rejection(graph.api(`${credentialsPath()}/${created.id}`).delete())).statusCode).toBe(404);
  });

  it(`refuses the ${MAX_FEDERATED_CREDENTIALS + 1}th credential, a second one with the same name or issuer + subject, and more than one audience`, async () => {
    const base = { issuer: issuerOf(app.tenantId), audiences: [EXCHANGE_AUDIENCE] };
    for (let index = 0; index < MAX_FEDERATED_CREDENTIALS; index++)
      await addCredential({ ...base, name: `fic-${index}`, subject: `subject-${index}` });
    const tooMany = await rejection(addCredential({ ...base, name: 'fic-extra', subject: 'subject-extra' }));
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.message).toContain(`at most ${MAX_FEDERATED_CREDENTIALS}`);

    app.federatedIdentityCredentials = [];
    await addCredential({ ...base, name: 'first', subject: 'same-subject' });
    expect((await rejection(addCredential({ ...base, name: 'first', subject: 'other' }))).message).toContain(
      "named 'first'",
    );
    expect((await rejection(addCredential({ ...base, name: 'second', subject: 'same-subject' }))).message).toContain(
      'same issuer and subject',
    );
    expect(
      (await rejection(addCredential({ ...base, name: 'third', subject: 'x', audiences: ['a', 'b'] }))).statusCode,
    ).toBe(400);
  });
});

describe('Entra client assertion from the managed identity', () => {
  async function trustIdentity(overrides: Partial<GraphFederatedCredential> = {}): Promise<void> {
    await addCredential({
      name: 'keyrelay-managed-identity',
      issuer: issuerOf(app.tenantId),
      subject: cloud.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
      audiences: [EXCHANGE_AUDIENCE],
      ...overrides,
    });
  }

  it("issues the identity's exchange token with the tenant's issuer and its object id (not its client id) as subject", async () => {
    const claims = claimsOf(await identityAssertion());
    expect(claims).toMatchObject({
      iss: issuerOf(identity.tenantId),
      aud: EXCHANGE_AUDIENCE,
      sub: cloud.settings.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
    });
    expect(claims.sub).not.toBe(identity.clientId);
  });

  it('authenticates the app with a matching credential and no secret', async () => {
    await trustIdentity();
    const result = (await clientCredentialsWithAssertion(identityAssertion)) as { accessToken: string };
    expect(claimsOf(result.accessToken)).toMatchObject({ appid: app.appId, aud: 'https://graph.microsoft.com' });
  });

  it('answers AADSTS70021 when the subject is the client id instead of the object id, and when the audience differs', async () => {
    await trustIdentity({ subject: identity.clientId });
    const wrongSubject = await rejection(clientCredentialsWithAssertion(identityAssertion));
    expect(wrongSubject).toBeInstanceOf(ServerError);
    expect(wrongSubject.errorCode).toBe('invalid_request');
    expect(wrongSubject.errorMessage).toContain('AADSTS70021');

    app.federatedIdentityCredentials = [];
    await trustIdentity({ audiences: ['api://AzureADTokenExchangeUSGov'] });
    expect((await rejection(clientCredentialsWithAssertion(identityAssertion))).errorMessage).toContain('AADSTS70021');
  });

  it('answers AADSTS700211 when no credential trusts the issuer (none at all, or another tenant)', async () => {
    const none = await rejection(clientCredentialsWithAssertion(identityAssertion));
    expect(none.errorCode).toBe('invalid_client');
    expect(none.errorMessage).toContain('AADSTS700211');
    await trustIdentity({ issuer: issuerOf('9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d') });
    expect((await rejection(clientCredentialsWithAssertion(identityAssertion))).errorMessage).toContain('AADSTS700211');
  });

  it('answers AADSTS700024 for an assertion past its expiry', async () => {
    await trustIdentity();
    const assertion = await identityAssertion();
    clock.offsetMs = 2 * 60 * 60 * 1000;
    const expired = await rejection(clientCredentialsWithAssertion(() => Promise.resolve(assertion)));
    expect(expired.errorCode).toBe('invalid_client');
    expect(expired.errorMessage).toContain('AADSTS700024');
  });
});
