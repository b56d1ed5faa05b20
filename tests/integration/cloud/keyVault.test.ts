// The real @azure/keyvault-secrets SecretClient against the Key Vault emulator, over HTTPS trusted
// through the run's local CA, with tokens from the Entra emulator (challenge auth end to end).
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedServicePrincipal } from '../../../dev/cloud/context.js';
import { startLocalCloud } from '../../../dev/cloud/index.js';
import { getKeyVaultStats } from '../../../dev/cloud/keyVault.js';

type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

let cloud: LocalCloud;
let identity: EmulatedServicePrincipal;
let client: SecretClient;

function credentialFor(sp: EmulatedServicePrincipal): ClientSecretCredential {
  return new ClientSecretCredential(sp.tenantId, sp.clientId, sp.secret, {
    authorityHost: cloud.urls.entra,
    disableInstanceDiscovery: true,
  });
}

function clientFor(sp: EmulatedServicePrincipal): SecretClient {
  // The emulator is not *.vault.azure.net: the challenge resource check must be told so (FACTS.md).
  return new SecretClient(cloud.urls.keyVault, credentialFor(sp), { disableChallengeResourceVerification: true });
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

async function rejection(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  const found = cloud.ctx.servicePrincipals.find((sp) => sp.keyVaultAccess);
  if (!found) throw new Error('the seeded local cloud has no service principal with Key Vault access');
  identity = found;
  client = clientFor(identity);
});

afterAll(async () => {
  await cloud?.stop();
});

describe('Key Vault emulator with the real SecretClient', () => {
  it('stores a secret with tags, content type and dates and reads it back by latest and by version', async () => {
    const name = uniqueName('roundtrip');
    const expiresOn = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);
    const first = await client.setSecret(name, 'first value', {
      tags: { appId: 'a1', managedBy: 'keyrelay' },
      contentType: 'text/plain',
      expiresOn,
    });
    expect(first.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(first.properties.vaultUrl).toBe(cloud.urls.keyVault);
    expect(first.properties.expiresOn?.getTime()).toBe(expiresOn.getTime());
    expect(first.properties.recoveryLevel).toBe('Recoverable+Purgeable');
    const second = await client.setSecret(name, 'second value');

    const latest = await client.getSecret(name);
    expect(latest.value).toBe('second value');
    expect(latest.properties.version).toBe(second.properties.version);
    const old = await client.getSecret(name, { version: first.properties.version! });
    expect(old.value).toBe('first value');
    expect(old.properties.tags).toEqual({ appId: 'a1', managedBy: 'keyrelay' });
    expect(old.properties.contentType).toBe('text/plain');
  });

  it('returns an expired secret like real Key Vault does (expiry is metadata, not a read barrier)', async () => {
    const name = uniqueName('expired');
    await client.setSecret(name, 'still readable', { expiresOn: new Date(Date.now() - 86_400_000) });
    expect((await client.getSecret(name)).value).toBe('still readable');
  });

  it('lists secrets without values, paging past 25 with nextLink', async () => {
    const prefix = uniqueName('page');
    const names = Array.from({ length: 30 }, (_, i) => `${prefix}-${i}`);
    await Promise.all(names.map((n) => client.setSecret(n, `value of ${n}`)));
    const listedBefore = cloud.ctx.requestLog.filter((e) => e.route === 'secrets.list' && e.status === 200).length;

    const seen: string[] = [];
    for await (const properties of client.listPropertiesOfSecrets()) seen.push(properties.name);
    expect(seen).toEqual(expect.arrayContaining(names));
    const pagesFetched =
      cloud.ctx.requestLog.filter((e) => e.route === 'secrets.list' && e.status === 200).length - listedBefore;
    expect(pagesFetched).toBeGreaterThanOrEqual(2);

    const token = await credentialFor(identity).getToken('https://vault.azure.net/.default');
    const response = await fetch(`${cloud.urls.keyVault}/secrets?api-version=2025-07-01`, {
      headers: { authorization: `Bearer ${token.token}` },
    });
    const page = (await response.json()) as { value: Record<string, unknown>[]; nextLink: string | null };
    expect(page.value).toHaveLength(25);
    expect(page.value.every((item) => !('value' in item))).toBe(true);
    expect(page.nextLink).toContain('$skiptoken=');
  });

  it('lists every version of a secret and counts them in the stats helper', async () => {
    const name = uniqueName('versions');
    const written: string[] = [];
    for (const value of ['v1', 'v2', 'v3']) written.push((await client.setSecret(name, value)).properties.version!);
    const listed: string[] = [];
    for await (const properties of client.listPropertiesOfSecretVersions(name)) listed.push(properties.version!);
    expect(listed.sort()).toEqual([...written].sort());
    expect(getKeyVaultStats(cloud.ctx).find((s) => s.name === name)).toEqual({ name, versionCount: 3, deleted: false });
  });

  it('updates properties of a version, and a disabled version answers 403 Forbidden', async () => {
    const name = uniqueName('disable');
    const first = await client.setSecret(name, 'old');
    await client.setSecret(name, 'new');
    const updated = await client.updateSecretProperties(name, first.properties.version!, {
      enabled: false,
      tags: { state: 'retired' },
    });
    expect(updated.enabled).toBe(false);
    expect(updated.tags).toEqual({ state: 'retired' });

    const error = await rejection(client.getSecret(name, { version: first.properties.version! }));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('Forbidden');
    expect((await client.getSecret(name)).value).toBe('new');
  });

  it('soft-deletes, refuses the deleted name with 409, recovers, then purges', async () => {
    const name = uniqueName('softdelete');
    await client.setSecret(name, 'keep me');
    const deleted = await (await client.beginDeleteSecret(name)).pollUntilDone();
    expect(deleted.recoveryId).toBe(`${cloud.urls.keyVault}/deletedsecrets/${name}`);
    expect(deleted.scheduledPurgeDate!.getTime() - deleted.deletedOn!.getTime()).toBe(90 * 86_400_000);
    expect(statusOf(await rejection(client.getSecret(name)))).toBe(404);

    const conflict = await rejection(client.setSecret(name, 'reuse'));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.code).toBe('Conflict');

    const deletedNames: string[] = [];
    for await (const item of client.listDeletedSecrets()) deletedNames.push(item.name);
    expect(deletedNames).toContain(name);
    expect((await client.getDeletedSecret(name)).name).toBe(name);

    await (await client.beginRecoverDeletedSecret(name)).pollUntilDone();
    expect((await client.getSecret(name)).value).toBe('keep me');

    await (await client.beginDeleteSecret(name)).pollUntilDone();
    await client.purgeDeletedSecret(name);
    expect(statusOf(await rejection(client.getDeletedSecret(name)))).toBe(404);
    await client.setSecret(name, 'fresh start');
    expect(getKeyVaultStats(cloud.ctx).find((s) => s.name === name)?.versionCount).toBe(1);
  });

  it('rejects an invalid name, an oversized value and too many tags with 400 BadParameter, storing nothing', async () => {
    const badName = await rejection(client.setSecret('bad_name', 'x'));
    expect(badName.statusCode).toBe(400);
    expect(badName.code).toBe('BadParameter');

    const name = uniqueName('limits');
    const tooLarge = await rejection(client.setSecret(name, 'x'.repeat(25 * 1024 + 1)));
    expect(tooLarge.statusCode).toBe(400);
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
    const tooManyTags = await rejection(client.setSecret(name, 'x', { tags }));
    expect(tooManyTags.statusCode).toBe(400);
    expect(getKeyVaultStats(cloud.ctx).some((s) => s.name === name)).toBe(false);
  });

  it('challenges an anonymous request and rejects a token minted for another audience with 401', async () => {
    const anonymous = await fetch(`${cloud.urls.keyVault}/secrets/anything/?api-version=2025-07-01`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer authorization="${cloud.urls.entra}/${identity.tenantId}", resource="https://vault.azure.net"`,
    );

    const graphToken = await credentialFor(identity).getToken('https://graph.microsoft.com/.default');
    const wrongAudience = await fetch(`${cloud.urls.keyVault}/secrets/anything/?api-version=2025-07-01`, {
      headers: { authorization: `Bearer ${graphToken.token}` },
    });
    expect(wrongAudience.status).toBe(401);
    expect(((await wrongAudience.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
  });

  it('answers 403 Forbidden to an identity without Key Vault access', async () => {
    const outsider: EmulatedServicePrincipal = {
      clientId: randomUUID(),
      objectId: randomUUID(),
      tenantId: identity.tenantId,
      secret: randomUUID(),
      graphRoles: [],
      keyVaultAccess: false,
    };
    cloud.ctx.servicePrincipals.push(outsider);
    const error = await rejection(clientFor(outsider).getSecret('anything'));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('Forbidden');
  });

  it('surfaces an injected 409 on set to the SDK (parallel writers)', async () => {
    const name = uniqueName('conflict');
    cloud.ctx.faults.push({ service: 'keyvault', route: 'secrets.set', kind: 'status', status: 409, remaining: 1 });
    expect(statusOf(await rejection(client.setSecret(name, 'x')))).toBe(409);
    await client.setSecret(name, 'x');
    expect(getKeyVaultStats(cloud.ctx).find((s) => s.name === name)?.versionCount).toBe(1);
  });

  it('lets the SDK retry an injected 429 after its Retry-After', async () => {
    const name = uniqueName('throttled');
    await client.setSecret(name, 'v');
    cloud.ctx.faults.push({
      service: 'keyvault',
      route: 'secrets.get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      remaining: 1,
    });
    const started = Date.now();
    expect((await client.getSecret(name)).value).toBe('v');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const statuses = cloud.ctx.requestLog
      .filter((e) => e.route === 'secrets.get')
      .slice(-2)
      .map((e) => e.status);
    expect(statuses).toEqual([429, 200]);
  });

  it('performs a write whose answer is lost, so the SDK retry adds a second version', async () => {
    const name = uniqueName('lost');
    cloud.ctx.faults.push({ service: 'keyvault', route: 'secrets.set', kind: 'timeout_after', remaining: 1 });
    await client.setSecret(name, 'once');
    expect(getKeyVaultStats(cloud.ctx).find((s) => s.name === name)?.versionCount).toBe(2);
  });
});
