// The real @microsoft/microsoft-graph-client against the Graph emulator, with ClientSecretCredential
// tokens from the Entra emulator; passwords added or removed here change what Entra's token
// endpoint accepts.
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedApplication, EmulatedServicePrincipal } from '../../../dev/cloud/context.js';
import { startLocalCloud } from '../../../dev/cloud/index.js';

type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

let cloud: LocalCloud;
let app: EmulatedApplication;
/** keyrelay's own identity: Application.ReadWrite.OwnedBy and an owner of the app. */
let identity: EmulatedServicePrincipal;

function credentialFor(tenantId: string, clientId: string, secret: string): ClientSecretCredential {
  return new ClientSecretCredential(tenantId, clientId, secret, {
    authorityHost: cloud.urls.entra,
    disableInstanceDiscovery: true,
  });
}

function graphClientFor(sp: EmulatedServicePrincipal): Client {
  const credential = credentialFor(sp.tenantId, sp.clientId, sp.secret);
  return Client.initWithMiddleware({
    baseUrl: cloud.urls.graph,
    // FACTS.md: hostname without the port, else no Authorization header is sent.
    customHosts: new Set([new URL(cloud.urls.graph).hostname]),
    authProvider: { getAccessToken: async () => (await credential.getToken(GRAPH_SCOPE)).token },
  });
}

function servicePrincipal(graphRoles: string[]): EmulatedServicePrincipal {
  const sp: EmulatedServicePrincipal = {
    clientId: randomUUID(),
    objectId: randomUUID(),
    tenantId: app.tenantId,
    secret: `sp-${randomUUID()}`,
    graphRoles,
    keyVaultAccess: false,
  };
  cloud.ctx.servicePrincipals.push(sp);
  return sp;
}

async function rejection(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

interface AddedPassword {
  keyId: string;
  secretText: string;
  hint: string;
  startDateTime: string;
  endDateTime: string;
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  const appId = cloud.settings.OAUTH_CLIENT_ID;
  const found = cloud.ctx.applications.find((a) => a.appId === appId);
  if (!found) throw new Error('the seeded local cloud has no keyrelay app registration');
  app = found;
  const owner = cloud.ctx.servicePrincipals.find(
    (sp) => sp.graphRoles.includes('Application.ReadWrite.OwnedBy') && app.ownerObjectIds.includes(sp.objectId),
  );
  if (!owner) throw new Error('the seeded local cloud has no owner identity with Application.ReadWrite.OwnedBy');
  identity = owner;
});

afterAll(async () => {
  await cloud?.stop();
});

describe('Graph emulator with the real Graph client', () => {
  it("reads the app by appId with $select and never returns a password's secret text", async () => {
    const graph = graphClientFor(identity);
    const result = (await graph
      .api(`/applications(appId='${app.appId}')`)
      .select(['displayName', 'passwordCredentials'])
      .get()) as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['@odata.context', 'displayName', 'passwordCredentials']);
    expect(result.displayName).toBe(app.displayName);
    const passwords = result.passwordCredentials as Record<string, unknown>[];
    expect(passwords.length).toBe(app.passwordCredentials.length);
    for (const p of passwords) {
      expect(p.secretText).toBeNull();
      expect(p.customKeyIdentifier).toBeNull();
      expect(p.hint).toMatch(/^.{3}$/);
    }
    const byObjectId = (await graph.api(`/applications/${app.id}`).get()) as { appId: string };
    expect(byObjectId.appId).toBe(app.appId);
  });

  it('lists applications in pages with @odata.nextLink and filters by appId', async () => {
    const admin = servicePrincipal(['Application.ReadWrite.All']);
    const graph = graphClientFor(admin);
    for (let i = 0; i < 4; i++) await graph.api('/applications').post({ displayName: `listing-${i}` });
    const inTenant = cloud.ctx.applications.filter((a) => a.tenantId === app.tenantId).length;

    const seen: string[] = [];
    let pages = 0;
    let page = (await graph.api('/applications').top(2).select(['id', 'displayName']).get()) as {
      value: { id: string }[];
      '@odata.nextLink'?: string;
    };
    for (;;) {
      pages += 1;
      seen.push(...page.value.map((a) => a.id));
      if (!page['@odata.nextLink']) break;
      page = (await graph.api(page['@odata.nextLink']).get()) as typeof page;
    }
    expect(pages).toBe(Math.ceil(inTenant / 2));
    expect(new Set(seen).size).toBe(inTenant);

    const filtered = (await graph.api('/applications').filter(`appId eq '${app.appId}'`).get()) as {
      value: { id: string }[];
    };
    expect(filtered.value.map((a) => a.id)).toEqual([app.id]);
  });

  it('adds a password that then works for client_credentials, and after removePassword Entra answers AADSTS7000215', async () => {
    const graph = graphClientFor(identity);
    const added = (await graph
      .api(`/applications/${app.id}/addPassword`)
      .post({ passwordCredential: { displayName: 'rotation test' } })) as AddedPassword;
    expect(added.secretText).toMatch(/^[A-Za-z0-9~._-]{40}$/);
    expect(added.hint).toBe(added.secretText.slice(0, 3));
    const lifetimeMs = Date.parse(added.endDateTime) - Date.parse(added.startDateTime);
    expect(Math.round(lifetimeMs / 86_400_000)).toBeGreaterThanOrEqual(730);
    expect(Math.round(lifetimeMs / 86_400_000)).toBeLessThanOrEqual(731);

    const token = await credentialFor(app.tenantId, app.appId, added.secretText).getToken(GRAPH_SCOPE);
    expect(token.token.split('.')).toHaveLength(3);

    const removed = (await graph
      .api(`/applications(appId='${app.appId}')/removePassword`)
      .post({ keyId: added.keyId })) as unknown;
    expect(removed).toBeUndefined();
    expect(app.passwordCredentials.some((p) => p.keyId === added.keyId)).toBe(false);
    const refused = await rejection(credentialFor(app.tenantId, app.appId, added.secretText).getToken(GRAPH_SCOPE));
    expect(refused.message).toContain('AADSTS7000215');

    const unknown = await rejection(graph.api(`/applications/${app.id}/removePassword`).post({ keyId: added.keyId }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.code).toBe('Request_ResourceNotFound');
  });

  it('a password whose endDateTime has passed is refused by Entra with AADSTS7000222', async () => {
    const graph = graphClientFor(identity);
    const now = Date.now();
    const added = (await graph.api(`/applications/${app.id}/addPassword`).post({
      passwordCredential: {
        displayName: 'already expired',
        startDateTime: new Date(now - 700 * 86_400_000).toISOString(),
        endDateTime: new Date(now - 86_400_000).toISOString(),
      },
    })) as AddedPassword;
    const refused = await rejection(credentialFor(app.tenantId, app.appId, added.secretText).getToken(GRAPH_SCOPE));
    expect(refused.message).toContain('AADSTS7000222');
  });

  it('refuses addPassword with 403 Authorization_RequestDenied to a non-owner holding only OwnedBy', async () => {
    const stranger = servicePrincipal(['Application.ReadWrite.OwnedBy']);
    const before = app.passwordCredentials.length;
    const error = await rejection(
      graphClientFor(stranger)
        .api(`/applications/${app.id}/addPassword`)
        .post({ passwordCredential: { displayName: 'x' } }),
    );
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('Authorization_RequestDenied');
    expect(app.passwordCredentials.length).toBe(before);
  });

  it('takes owners as directory object ids: a client id is no directory object (404)', async () => {
    const admin = servicePrincipal(['Application.ReadWrite.All']);
    const candidate = servicePrincipal(['Application.ReadWrite.OwnedBy']);
    const error = await rejection(
      graphClientFor(admin)
        .api(`/applications/${app.id}/owners/$ref`)
        .post({ '@odata.id': `${cloud.urls.graph}/v1.0/directoryObjects/${candidate.clientId}` }),
    );
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('Request_ResourceNotFound');
    expect(app.ownerObjectIds).not.toContain(candidate.clientId);
  });

  it('lets Application.ReadWrite.All add an owner, after which OwnedBy suffices', async () => {
    const admin = servicePrincipal(['Application.ReadWrite.All']);
    const candidate = servicePrincipal(['Application.ReadWrite.OwnedBy']);
    await graphClientFor(admin)
      .api(`/applications/${app.id}/owners/$ref`)
      .post({ '@odata.id': `${cloud.urls.graph}/v1.0/directoryObjects/${candidate.objectId}` });
    const owners = (await graphClientFor(admin).api(`/applications/${app.id}/owners`).get()) as {
      value: { id: string }[];
    };
    expect(owners.value.map((o) => o.id)).toContain(candidate.objectId);
    const added = (await graphClientFor(candidate)
      .api(`/applications/${app.id}/addPassword`)
      .post({ passwordCredential: { displayName: 'by new owner' } })) as AddedPassword;
    await graphClientFor(candidate).api(`/applications/${app.id}/removePassword`).post({ keyId: added.keyId });
  });

  it('enforces the tenant app-management policy with 400 CredentialInvalidLifetimeAsPerAppPolicy / CredentialTypeNotAllowedAsPerAppPolicy', async () => {
    const graph = graphClientFor(identity);
    const before = app.passwordCredentials.length;
    try {
      app.passwordPolicy = { maxLifetimeDays: 180 };
      const lifetime = await rejection(
        graph
          .api(`/applications/${app.id}/addPassword`)
          .post({ passwordCredential: { displayName: 'default two years' } }),
      );
      expect(lifetime.statusCode).toBe(400);
      expect(lifetime.code).toBe('CredentialInvalidLifetimeAsPerAppPolicy');

      app.passwordPolicy = { forbidPasswords: true };
      const forbidden = await rejection(
        graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: 'any' } }),
      );
      expect(forbidden.statusCode).toBe(400);
      expect(forbidden.code).toBe('CredentialTypeNotAllowedAsPerAppPolicy');
    } finally {
      delete app.passwordPolicy;
    }
    expect(app.passwordCredentials.length).toBe(before);
  });

  it('updates an app registration with PATCH, and an invalid field changes nothing', async () => {
    const admin = servicePrincipal(['Application.ReadWrite.All']);
    const graph = graphClientFor(admin);
    const created = (await graph
      .api('/applications')
      .post({ displayName: 'patch target', web: { redirectUris: ['https://old.example/cb'] } })) as { id: string };
    await graph.api(`/applications/${created.id}`).patch({
      displayName: 'patched',
      web: { redirectUris: ['https://new.example/api/oauth/callback'] },
      signInAudience: 'AzureADMultipleOrgs',
    });
    const patched = (await graph
      .api(`/applications/${created.id}`)
      .select(['displayName', 'web', 'signInAudience'])
      .get()) as { displayName: string; web: { redirectUris: string[] }; signInAudience: string };
    expect(patched).toMatchObject({
      displayName: 'patched',
      web: { redirectUris: ['https://new.example/api/oauth/callback'] },
      signInAudience: 'AzureADMultipleOrgs',
    });

    const error = await rejection(
      graph.api(`/applications/${created.id}`).patch({ displayName: 'half applied', signInAudience: 'Everyone' }),
    );
    expect(error.statusCode).toBe(400);
    expect(((await graph.api(`/applications/${created.id}`).get()) as { displayName: string }).displayName).toBe(
      'patched',
    );
  });

  it('performs addPassword whose answer is lost (timeout_after): the caller fails but the password exists', async () => {
    const graph = graphClientFor(identity);
    const before = app.passwordCredentials.length;
    cloud.ctx.faults.push({ service: 'graph', route: 'applications.addPassword', kind: 'timeout_after', remaining: 1 });
    await rejection(
      graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: 'lost answer' } }),
    );
    expect(app.passwordCredentials.length).toBe(before + 1);
    const orphan = app.passwordCredentials.find((p) => p.displayName === 'lost answer');
    await graph.api(`/applications/${app.id}/removePassword`).post({ keyId: orphan?.keyId });
  });

  it('delays an answer by the injected latency', async () => {
    const graph = graphClientFor(identity);
    await graph.api(`/applications/${app.id}`).select(['id']).get();
    cloud.ctx.faults.push({
      service: 'graph',
      route: 'applications.get',
      kind: 'latency',
      latencyMs: 400,
      remaining: 1,
    });
    const started = Date.now();
    await graph.api(`/applications/${app.id}`).select(['id']).get();
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('publishes the real permission ids of Microsoft Graph and Exchange Online', async () => {
    const graph = graphClientFor(identity);
    const msGraph = (await graph.api("/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')").get()) as {
      oauth2PermissionScopes: { value: string; id: string }[];
      appRoles: { value: string; id: string }[];
    };
    expect(msGraph.oauth2PermissionScopes.find((s) => s.value === 'Mail.Send')?.id).toBe(
      'e383f46e-2787-4529-855e-0e479a3ffac0',
    );
    expect(msGraph.appRoles.find((r) => r.value === 'Application.ReadWrite.OwnedBy')?.id).toBe(
      '18a4783c-866b-4cc7-a460-3d5e5662c884',
    );
    const exchange = (await graph.api("/servicePrincipals(appId='00000002-0000-0ff1-ce00-000000000000')").get()) as {
      oauth2PermissionScopes: { value: string; id: string }[];
    };
    expect(exchange.oauth2PermissionScopes.find((s) => s.value === 'SMTP.Send')?.id).toBe(
      '258f6531-6087-4cc4-bb90-092c5fb3ed3f',
    );
  });

  it('sends mail app-only into the outbox, viewable as escaped HTML and as a MIME .eml', async () => {
    const sender = cloud.ctx.tenants.find((t) => t.id === app.tenantId)?.users[0];
    if (!sender) throw new Error('the seeded tenant has no user');
    const before = cloud.ctx.outbox.length;
    await graphClientFor(identity)
      .api(`/users/${sender.upn}/sendMail`)
      .post({
        message: {
          subject: 'Scadenza <script>alert(1)</script>',
          body: { contentType: 'HTML', content: '<p>Il segreto scade tra <b>30</b> giorni.</p>' },
          toRecipients: [{ emailAddress: { address: 'admin@contoso.example' } }],
          attachments: [
            {
              '@odata.type': '#microsoft.graph.fileAttachment',
              name: 'report.txt',
              contentType: 'text/plain',
              contentBytes: Buffer.from('report body').toString('base64'),
            },
          ],
        },
        saveToSentItems: false,
      });
    expect(cloud.ctx.outbox.length).toBe(before + 1);
    const sent = cloud.ctx.outbox[cloud.ctx.outbox.length - 1]!;
    expect(sent.from).toBe(sender.upn);
    expect(cloud.ctx.requestLog.filter((e) => e.route === 'sendMail').at(-1)?.status).toBe(202);

    const index = await (await fetch(`${cloud.urls.graph}/outbox`)).text();
    expect(index).toContain('Scadenza &#60;script&#62;');
    expect(index).not.toContain('<script>');
    const view = await fetch(`${cloud.urls.graph}/outbox/${sent.id}.html`);
    expect(view.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await view.text()).toContain('<iframe sandbox="" srcdoc="&#60;p&#62;Il segreto');

    const eml = await (await fetch(`${cloud.urls.graph}/outbox/${sent.id}.eml`)).text();
    expect(eml).toMatch(/^From: /);
    expect(eml).toContain('\r\nTo: admin@contoso.example\r\n');
    expect(eml).toContain('Content-Type: text/html; charset=utf-8');
    expect(eml).toContain(Buffer.from('<p>Il segreto scade tra <b>30</b> giorni.</p>').toString('base64').slice(0, 60));
    expect(eml).toContain('Content-Disposition: attachment; filename="report.txt"');
    expect(eml).toContain(Buffer.from('report body').toString('base64'));
  });

  it('rejects a message without a valid recipient with 400 ErrorInvalidRecipients and sends nothing', async () => {
    const sender = cloud.ctx.tenants.find((t) => t.id === app.tenantId)?.users[0];
    if (!sender) throw new Error('the seeded tenant has no user');
    const before = cloud.ctx.outbox.length;
    const error = await rejection(
      graphClientFor(identity)
        .api(`/users/${sender.upn}/sendMail`)
        .post({
          message: {
            subject: 'x',
            body: { contentType: 'Text', content: 'x' },
            toRecipients: [{ emailAddress: { address: 'not an address' } }],
          },
        }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('ErrorInvalidRecipients');
    expect(cloud.ctx.outbox.length).toBe(before);
  });

  it('rejects a token minted for Key Vault with 401', async () => {
    const token = await credentialFor(identity.tenantId, identity.clientId, identity.secret).getToken(
      'https://vault.azure.net/.default',
    );
    const response = await fetch(`${cloud.urls.graph}/v1.0/applications/${app.id}`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { code: string; innerError: { 'request-id': string } } };
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the Graph client honours Retry-After of an injected 429', async () => {
    const graph = graphClientFor(identity);
    cloud.ctx.faults.push({
      service: 'graph',
      route: 'applications.get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    const logBefore = cloud.ctx.requestLog.length;
    const started = Date.now();
    const result = (await graph.api(`/applications/${app.id}`).select(['id']).get()) as { id: string };
    expect(result.id).toBe(app.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const statuses = cloud.ctx.requestLog
      .slice(logBefore)
      .filter((e) => e.route === 'applications.get')
      .map((e) => e.status);
    expect(statuses).toEqual([429, 200]);
  });
});
