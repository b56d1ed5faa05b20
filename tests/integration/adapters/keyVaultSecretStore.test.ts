// SecretStore: the contract against the in-memory fake and the Key Vault adapter on the Key Vault emulator
// (real @azure/keyvault-secrets over HTTPS, challenge auth with a token from the Entra emulator), then the
// adapter's failure mapping with faults injected into the emulator.
import { inspect } from 'node:util';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type StartedLocalCloud } from '../../../dev/cloud/index.js';
import { isMicrosoftKeyVaultHost } from '#src/shared/adapters/cloudEndpoints.js';
import {
  createKeyVaultSecretStore,
  type KeyVaultSecretStoreOptions,
} from '#src/shared/adapters/keyVaultSecretStore.js';
import { RequestBudget } from '#src/shared/domain/requestBudget.js';
import { type DeletableSecretStore, StoreConflictError, StoreUnavailableError } from '#src/shared/ports/index.js';
import { describeSecretStoreContract } from '../../contract/secretStore.contract.js';
import { InMemorySecretStore } from '../../fakes/index.js';

describeSecretStoreContract('in-memory fake', () =>
  Promise.resolve({ store: new InMemorySecretStore(), cleanup: () => Promise.resolve() }),
);

describe('on the Key Vault emulator', () => {
  let local: StartedLocalCloud | undefined;

  beforeAll(async () => {
    local = await startLocalCloud();
  });
  afterAll(async () => {
    await local?.stop();
  });
  afterEach(() => {
    local?.cloud.clearFaults();
  });

  function started(): StartedLocalCloud {
    if (local === undefined) throw new Error('the local cloud did not start');
    return local;
  }

  function secretStore(options: KeyVaultSecretStoreOptions = {}): DeletableSecretStore {
    const { settings } = started();
    const credential = new ClientSecretCredential(
      settings.AZURE_TENANT_ID,
      settings.AZURE_CLIENT_ID,
      settings.AZURE_CLIENT_SECRET,
      {
        authorityHost: settings.AZURE_AUTHORITY_HOST,
        disableInstanceDiscovery: true,
      },
    );
    return createKeyVaultSecretStore({ keyVaultUrl: settings.KEY_VAULT_URL }, credential, options);
  }

  describeSecretStoreContract('Key Vault adapter', () =>
    Promise.resolve({ store: secretStore(), cleanup: () => Promise.resolve() }),
  );

  it("turns a throttled read (429) into StoreUnavailableError with the vault's Retry-After", async () => {
    const store = secretStore({ maxRetries: 0 });
    await store.setSecret('throttled', 'value-429');
    started().cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 7,
    });

    const failure = store.getSecret('throttled');
    await expect(failure).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(failure).rejects.toMatchObject({
      statusCode: 429,
      retryAfterSeconds: 7,
      code: 'upstream_unavailable',
      status: 503,
    });
  });

  it('turns a listing that keeps failing (503) into StoreUnavailableError after its resume attempts', async () => {
    const waits: number[] = [];
    const store = secretStore({
      maxRetries: 0,
      listingResumePausesMs: [1_000, 2_000],
      wait: (ms) => (waits.push(ms), Promise.resolve()),
    });
    started().cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.list',
      kind: 'status',
      status: 503,
      remaining: Infinity,
    });
    const listing = async () => {
      for await (const summary of store.listSecretProperties()) expect(summary.name).toBeDefined();
    };
    await expect(listing()).rejects.toMatchObject({ name: 'StoreUnavailableError', statusCode: 503 });
    expect(waits).toEqual([1_000, 2_000]);
    started().cloud.clearFaults();
  });

  it('a page throttled mid-listing past the SDK retries: resumes after a pause, every secret once, nothing lost', async () => {
    const seeding = secretStore();
    const names = Array.from({ length: 60 }, (_, index) => `throttled-${String(index).padStart(2, '0')}`);
    for (const name of names) await seeding.setSecret(name, 'value');
    const waits: number[] = [];
    const store = secretStore({
      maxRetries: 0,
      listingResumePausesMs: [1_000, 2_000, 4_000],
      wait: (ms) => (waits.push(ms), Promise.resolve()),
    });
    const listed: string[] = [];
    for await (const summary of store.listSecretProperties()) {
      listed.push(summary.name);
      // After the first page, the vault throttles the next two list requests.
      if (listed.length === 1)
        started().cloud.injectFault({
          service: 'keyvault',
          route: 'secrets.list',
          kind: 'status',
          status: 429,
          retryAfterSeconds: 0,
          remaining: 2,
        });
    }
    expect(waits).toEqual([1_000, 2_000]);
    expect(listed).toEqual(expect.arrayContaining(names));
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('turns a parallel-write conflict (409) into StoreConflictError that never carries the value', async () => {
    const store = secretStore({ maxRetries: 0 });
    started().cloud.injectFault({ service: 'keyvault', route: 'secrets.set', kind: 'status', status: 409 });
    const value = 'canary-value-1b9e7c55';

    const error: unknown = await store.setSecret('mbx-conflict', value).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreConflictError);
    expect(error).toMatchObject({ statusCode: 409 });
    expect(inspect(error, { depth: 8 })).not.toContain(value);
    expect(String((error as Error).message)).not.toContain(value);
  });

  it('retries a throttled read within the SDK and succeeds when the vault recovers', async () => {
    const store = secretStore({ maxRetries: 2 });
    await store.setSecret('recovers', 'value-after-429');
    started().cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 0,
      remaining: 1,
    });
    expect((await store.getSecret('recovers'))?.value).toBe('value-after-429');
  });

  it('follows nextLink through every page of the listing (more than 25 secrets)', async () => {
    const store = secretStore();
    const names = Array.from({ length: 27 }, (_, index) => `paged-${String(index).padStart(2, '0')}`);
    for (const name of names) await store.setSecret(name, 'value');
    started().cloud.clearRequestLog();

    const listed: string[] = [];
    for await (const summary of store.listSecretProperties()) listed.push(summary.name);
    expect(listed).toEqual(expect.arrayContaining(names));
    expect(new Set(listed).size).toBe(listed.length);
    expect(started().cloud.countRequests('keyvault', 'secrets.list')).toBeGreaterThanOrEqual(2);
  });

  it('paces listing pages by its request budget: each page beyond the budget waits for the window', async () => {
    const seeding = secretStore();
    for (let index = 0; index < 60; index++) await seeding.setSecret(`budgeted-${index}`, 'value');
    // A clock that moves only when the budget waits: the waits are the pacing.
    let now = 0;
    const waits: number[] = [];
    const budget = new RequestBudget(1, 10_000, { now: () => new Date(now) }, (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    });
    started().cloud.clearRequestLog();

    const listed: string[] = [];
    for await (const summary of secretStore({ listingBudget: budget }).listSecretProperties())
      listed.push(summary.name);

    // Answered pages only: the SDK's first, unauthenticated request gets the 401 challenge.
    const pages = started()
      .cloud.requestLog()
      .entries.filter(
        (entry) => entry.service === 'keyvault' && entry.route === 'secrets.list' && entry.status === 200,
      ).length;
    expect(listed.filter((name) => name.startsWith('budgeted-'))).toHaveLength(60);
    expect(pages).toBeGreaterThanOrEqual(3);
    // One page per 10 s window: every page after the first waited a whole window.
    expect(waits.length).toBeGreaterThanOrEqual(pages - 1);
    expect(waits.every((ms) => ms === 10_000)).toBe(true);
  });

  it('verifies the challenge resource only for Microsoft vault hosts', () => {
    expect(isMicrosoftKeyVaultHost('https://keyrelay-kv.vault.azure.net/')).toBe(true);
    expect(isMicrosoftKeyVaultHost('https://keyrelay-kv.vault.usgovcloudapi.net')).toBe(true);
    expect(isMicrosoftKeyVaultHost('https://keyrelay-kv.vault.azure.cn')).toBe(true);
    expect(isMicrosoftKeyVaultHost(started().settings.KEY_VAULT_URL)).toBe(false);
    expect(isMicrosoftKeyVaultHost('https://vault.azure.net.attacker.example/')).toBe(false);
    expect(isMicrosoftKeyVaultHost('not a url')).toBe(false);
  });
});
