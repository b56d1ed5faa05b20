import { describe, expect, it, vi } from 'vitest';
import {
  type MailboxRecord,
  type MailboxRegistry,
  StoreConflictError,
  StoreUnavailableError,
} from '#src/shared/ports/index.js';
import { createRegistryRebuild, type RegistryRebuild } from '#src/shared/services/mailboxes/registryRebuild.js';
import { MailboxNotConnectedError, ReconnectRequiredError, UpstreamUnavailableError } from '#src/shared/errors.js';
import type { AllowedTenants } from '#src/shared/domain/tenants.js';
import { loggerFor } from '#src/shared/logger.js';
import {
  CREDENTIAL_ALARM_RUN_PREFIX,
  createRunReportCredentialAlarm,
} from '#src/shared/services/token/credentialAlarm.js';
import { createTokenService, RESOURCE_SCOPES, type TokenService } from '#src/shared/services/token/tokenService.js';
import { InMemoryMailboxRegistry, InMemoryRunReportStore, InMemorySecretStore } from '../../../../fakes/index.js';
import { FakeMailboxTokenClient, fakeSerializedCache } from './fakeMailboxTokenClient.js';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-03-02T09:00:00Z');
const UPN = 'mario.rossi@contoso.example';
const TENANT_ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const OBJECT_ID = '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d';
const CACHE_SECRET = 'mbx-0123abcd';
const CACHE_TAGS = { kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid: TENANT_ID };
const PUBLIC_BASE_URL = 'https://keyrelay.example.net';
const CLIENT_ID = '3e9b1f2a-7c4d-4b8e-9f0a-1b2c3d4e5f60';

class TestClock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Counts registry reads so that tests can prove the warm path makes none. */
class CountingRegistry implements MailboxRegistry {
  reads = 0;
  constructor(readonly inner: InMemoryMailboxRegistry) {}
  get(upn: string) {
    this.reads++;
    return this.inner.get(upn);
  }
  getByIdentity(tenantId: string, objectId: string) {
    return this.inner.getByIdentity(tenantId, objectId);
  }
  list() {
    return this.inner.list();
  }
  scan() {
    return this.inner.scan();
  }
  upsert(record: MailboxRecord) {
    return this.inner.upsert(record);
  }
  remove(upn: string) {
    return this.inner.remove(upn);
  }
  markReconnectRequired(upn: string, errorCode: string, at: Date) {
    return this.inner.markReconnectRequired(upn, errorCode, at);
  }
  recordRefresh(upn: string, at: Date) {
    return this.inner.recordRefresh(upn, at);
  }
  recordCacheWriteFailure(upn: string, code: string, at: Date) {
    return this.inner.recordCacheWriteFailure(upn, code, at);
  }
}

interface SetupOptions {
  allowedTenants?: AllowedTenants;
  /** Minutes left on the access tokens in the stored MSAL cache (absent: none cached). */
  smtpMinutesLeft?: number;
  graphMinutesLeft?: number;
  storedAgeMs?: number;
  lastRefreshAgeMs?: number;
  status?: MailboxRecord['status'];
  mailboxTenantId?: string;
  oauthTenant?: string;
  connected?: boolean;
  /** `real`: the registry-loss check over these fakes (registryRebuild.ts). */
  registryLoss?: Pick<RegistryRebuild, 'registryLost'> | 'real';
}

async function setup(options: SetupOptions = {}) {
  const clock = new TestClock(T0 - (options.storedAgeMs ?? 1 * HOUR));
  const secrets = new InMemorySecretStore(clock);
  const tenantId = options.mailboxTenantId ?? TENANT_ID;
  const accessTokens: Record<string, { secret: string; expiresOn: Date }> = {};
  if (options.smtpMinutesLeft !== undefined)
    accessTokens[RESOURCE_SCOPES.smtp] = {
      secret: 'at-outlook-stored',
      expiresOn: new Date(T0 + options.smtpMinutesLeft * MINUTE),
    };
  if (options.graphMinutesLeft !== undefined)
    accessTokens[RESOURCE_SCOPES.graph] = {
      secret: 'at-graph-stored',
      expiresOn: new Date(T0 + options.graphMinutesLeft * MINUTE),
    };
  await secrets.setSecret(CACHE_SECRET, fakeSerializedCache(`${OBJECT_ID}.${tenantId}`, accessTokens), {
    tags: CACHE_TAGS,
    contentType: 'application/json',
  });
  clock.ms = T0;
  secrets.calls.setSecret = 0;

  const registry = new CountingRegistry(new InMemoryMailboxRegistry());
  if (options.connected ?? true) {
    await registry.upsert({
      upn: UPN,
      tenantId,
      objectId: OBJECT_ID,
      cacheSecretName: CACHE_SECRET,
      connectedAt: new Date(T0 - 2 * HOUR),
      lastRefreshAt: new Date(T0 - (options.lastRefreshAgeMs ?? 2 * HOUR)),
      status: options.status ?? 'ok',
    });
  }
  const client = new FakeMailboxTokenClient(clock);
  const runs = new InMemoryRunReportStore();
  const logs: string[] = [];
  const logger = loggerFor({
    info: (line) => logs.push(line),
    warn: (line) => logs.push(line),
    error: (line) => logs.push(line),
  });
  const service: TokenService = createTokenService({
    config: {
      publicBaseUrl: PUBLIC_BASE_URL,
      oauthTenant: options.oauthTenant ?? 'organizations',
      allowedTenants: options.allowedTenants ?? '*',
      oauthClientId: CLIENT_ID,
      authorityHost: 'https://login.microsoftonline.com',
      redirectUri: `${PUBLIC_BASE_URL}/api/oauth/callback`,
    },
    clock,
    secretStore: secrets,
    mailboxRegistry: registry,
    oauthClient: client,
    credentialAlarm: createRunReportCredentialAlarm(runs, clock, logger),
    logger,
    ...(options.registryLoss === 'real'
      ? { registryLoss: createRegistryRebuild({ secretStore: secrets, mailboxRegistry: registry, clock, logger }) }
      : options.registryLoss
        ? { registryLoss: options.registryLoss }
        : {}),
  });
  return { clock, secrets, registry, client, runs, logs, service };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('TokenService.getToken answers', () => {
  it("smtp: the XOAUTH2 string of the mailbox and token, with the seed's SMTP endpoint", async () => {
    const { service } = await setup({ smtpMinutesLeft: 50 });
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(grant).toMatchObject({
      mailbox: UPN,
      resource: 'smtp',
      tokenType: 'Bearer',
      accessToken: 'at-outlook-stored',
      expiresOn: new Date(T0 + 50 * MINUTE).toISOString(),
    });
    expect(Buffer.from(grant.xoauth2!, 'base64').toString('utf8')).toBe(
      `user=${UPN}\x01auth=Bearer at-outlook-stored\x01\x01`,
    );
    expect(grant.smtp).toEqual({ host: 'smtp.office365.com', port: 587, security: 'STARTTLS' });
  });

  it('graph: a Graph token without xoauth2 or smtp fields', async () => {
    const { service } = await setup({ graphMinutesLeft: 50 });
    const grant = await service.getToken({ mailbox: UPN, resource: 'graph' });
    expect(grant.accessToken).toBe('at-graph-stored');
    expect(grant).not.toHaveProperty('xoauth2');
    expect(grant).not.toHaveProperty('smtp');
  });

  it('carries the tenant of the cached account', async () => {
    const { service } = await setup({ smtpMinutesLeft: 50 });
    expect((await service.getToken({ mailbox: UPN, resource: 'smtp' })).tenantId).toBe(TENANT_ID);
  });

  it('refuses (409 reconnect_required, row marked) when the cache answers for another address than the row', async () => {
    const { service, secrets, registry } = await setup({ smtpMinutesLeft: 50 });
    await secrets.setSecret(
      CACHE_SECRET,
      fakeSerializedCache(`${OBJECT_ID}.${TENANT_ID}`, {}, 'someone.else@contoso.example'),
      {
        tags: CACHE_TAGS,
      },
    );
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toMatchObject({ code: 'reconnect_required', status: 409 });
    expect(await registry.get(UPN)).toMatchObject({
      status: 'reconnect_required',
      lastErrorCode: 'cache_account_mismatch',
    });
  });

  it('matches the mailbox case-insensitively', async () => {
    const { service } = await setup({ smtpMinutesLeft: 50 });
    const grant = await service.getToken({ mailbox: 'Mario.Rossi@Contoso.Example', resource: 'smtp' });
    expect(grant.mailbox).toBe(UPN);
  });
});

describe('TokenService warm path', () => {
  it('answers a repeated request from memory: no registry, Key Vault or OAuth call', async () => {
    const { service, secrets, registry, client } = await setup({ smtpMinutesLeft: 50 });
    const first = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    const before = { reads: registry.reads, secretReads: secrets.calls.getSecret, oauth: client.calls };
    const second = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(second).toEqual(first);
    expect({ reads: registry.reads, secretReads: secrets.calls.getSecret, oauth: client.calls }).toEqual(before);
  });

  it('keeps resources apart: a held smtp token does not answer a graph request', async () => {
    const { service, client } = await setup({ smtpMinutesLeft: 50 });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    const graph = await service.getToken({ mailbox: UPN, resource: 'graph' });
    expect(graph.accessToken).toMatch(/^at-graph-/);
    expect(client.refreshes).toBe(1);
  });

  it('refreshes a held token once it has less than 15 minutes left', async () => {
    const { service, clock, client } = await setup({ smtpMinutesLeft: 50 });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    clock.advance(36 * MINUTE);
    // The held token (14 minutes) answers at once; the refresh runs behind it and serves the next request.
    let grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(grant.accessToken).toBe('at-outlook-stored');
    await vi.waitFor(async () => {
      grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
      expect(grant.accessToken).not.toBe('at-outlook-stored');
    });
    expect(client.refreshes).toBe(1);
    expect(grant.accessToken).not.toBe('at-outlook-stored');
    expect(Date.parse(grant.expiresOn) - clock.now().getTime()).toBe(60 * MINUTE);
  });

  it('serves the held token (still >= 10 minutes) when the ahead-of-time refresh finds Entra unavailable', async () => {
    const { service, clock, client, logs } = await setup({ smtpMinutesLeft: 50 });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    clock.advance(38 * MINUTE);
    client.failNextRefresh({ kind: 'unavailable', retryAfterSeconds: 5 });
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(grant.accessToken).toBe('at-outlook-stored');
    // The refresh behind the answer meets the outage and keeps the held token.
    await vi.waitFor(() =>
      expect(logs.some((line) => /^token\.(background_refresh_failed|refresh_failed_serving_cached)/.test(line))).toBe(
        true,
      ),
    );
    expect(client.refreshes).toBe(1);
    expect((await service.getToken({ mailbox: UPN, resource: 'smtp' })).accessToken).toBe('at-outlook-stored');
  });

  it('while a refresh is in flight, a request whose held token still has 10-15 minutes gets it at once', async () => {
    const { service, clock, client } = await setup({ smtpMinutesLeft: 50 });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    clock.advance(38 * MINUTE);
    const release = client.holdRefreshes();
    const answers: string[] = [];
    const first = service.getToken({ mailbox: UPN, resource: 'smtp' }).then((grant) => answers.push(grant.accessToken));
    await vi.waitFor(() => expect(client.refreshes).toBe(1));
    const second = service
      .getToken({ mailbox: UPN, resource: 'smtp' })
      .then((grant) => answers.push(grant.accessToken));
    // Both are answered while Entra still holds the refresh.
    await vi.waitFor(() => expect(answers).toEqual(['at-outlook-stored', 'at-outlook-stored']));
    release();
    await Promise.all([first, second]);
    await vi.waitFor(async () =>
      expect((await service.getToken({ mailbox: UPN, resource: 'smtp' })).accessToken).not.toBe('at-outlook-stored'),
    );
    expect(client.refreshes).toBe(1);
  });

  it('never hands out a held token with less than 10 minutes left: Entra unavailable -> 503 with its Retry-After', async () => {
    const { service, clock, client } = await setup({ smtpMinutesLeft: 50 });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    clock.advance(41 * MINUTE);
    client.failNextRefresh({ kind: 'unavailable', retryAfterSeconds: 7 });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(7);
  });
});

describe('TokenService cold path', () => {
  it('uses the stored token when it has >= 15 minutes left: one Key Vault read, no refresh, no write', async () => {
    const { service, secrets, client } = await setup({ smtpMinutesLeft: 20 });
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(grant.accessToken).toBe('at-outlook-stored');
    expect(secrets.calls.getSecret).toBe(1);
    expect(client.refreshes).toBe(0);
    expect(secrets.calls.setSecret).toBe(0);
  });

  it('forces a refresh when the stored token has less than 15 minutes (MSAL alone would wait until 5)', async () => {
    const { service, client } = await setup({ smtpMinutesLeft: 12 });
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(client.refreshes).toBe(1);
    expect(grant.accessToken).not.toBe('at-outlook-stored');
  });

  it('serves a stored token with 12 minutes left when the forced refresh finds Entra unavailable', async () => {
    const { service, client } = await setup({ smtpMinutesLeft: 12 });
    client.failNextRefresh({ kind: 'unavailable', retryAfterSeconds: 5 });
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(grant.accessToken).toBe('at-outlook-stored');
  });

  it('answers 503 rather than a token Entra issued with less than 10 minutes', async () => {
    const { service, client } = await setup({});
    client.accessTokenLifetimeMs = 9 * MINUTE;
    await expect(service.getToken({ mailbox: UPN, resource: 'smtp' })).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('50 concurrent requests on an expired token share one Key Vault read, one refresh and at most one write', async () => {
    const { service, secrets, registry, client } = await setup({ smtpMinutesLeft: -5, storedAgeMs: 7 * HOUR });
    const release = client.holdRefreshes();
    const requests = Array.from({ length: 50 }, () => service.getToken({ mailbox: UPN, resource: 'smtp' }));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const grants = await Promise.all(requests);
    expect(new Set(grants.map((grant) => grant.accessToken)).size).toBe(1);
    expect(client.refreshes).toBe(1);
    expect(secrets.calls.getSecret).toBe(1);
    expect(registry.reads).toBe(1);
    expect(secrets.calls.setSecret).toBe(1);
  });

  it('runs smtp and graph refreshes of one mailbox one after the other: the second finds a fresh copy and writes nothing', async () => {
    const { service, secrets, client } = await setup({ storedAgeMs: 7 * HOUR });
    const [smtp, graph] = await Promise.all([
      service.getToken({ mailbox: UPN, resource: 'smtp' }),
      service.getToken({ mailbox: UPN, resource: 'graph' }),
    ]);
    expect(smtp.accessToken).toMatch(/^at-outlook-/);
    expect(graph.accessToken).toMatch(/^at-graph-/);
    expect(client.refreshes).toBe(2);
    expect(secrets.calls.setSecret).toBe(1);
    expect(secrets.versionCount(CACHE_SECRET)).toBe(2);
  });
});

describe('TokenService cache write-back', () => {
  it('writes the refreshed cache when the refresh token changed and the stored copy is over 6 hours old, keeping tags and content type', async () => {
    const { service, secrets } = await setup({ smtpMinutesLeft: -5, storedAgeMs: 7 * HOUR });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(secrets.versionCount(CACHE_SECRET)).toBe(2);
    const latest = await secrets.getSecret(CACHE_SECRET);
    expect(latest).toMatchObject({ tags: CACHE_TAGS, contentType: 'application/json' });
    expect(latest!.value).toContain('at-outlook-');
  });

  it('does not write when the stored copy is younger than 6 hours (each write is a permanent version)', async () => {
    const { service, secrets, client } = await setup({ smtpMinutesLeft: -5, storedAgeMs: 5 * HOUR });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(client.refreshes).toBe(1);
    expect(secrets.calls.setSecret).toBe(0);
    expect(secrets.versionCount(CACHE_SECRET)).toBe(1);
  });

  it('retries a 409 from a parallel write', async () => {
    const { service, secrets, registry } = await setup({ smtpMinutesLeft: -5, storedAgeMs: 7 * HOUR });
    secrets.failNext('setSecret', new StoreConflictError('write secret: conflicting write (HTTP 409)', 409));
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(secrets.calls.setSecret).toBe(2);
    expect(secrets.versionCount(CACHE_SECRET)).toBe(2);
    expect((await registry.get(UPN))?.cacheWriteFailure).toBeUndefined();
  });

  it('still answers the token when the write fails after a successful refresh, and records the failure', async () => {
    const { service, secrets, registry, clock } = await setup({ smtpMinutesLeft: -5, storedAgeMs: 7 * HOUR });
    secrets.failNext('setSecret', new StoreUnavailableError('write secret: store unavailable (HTTP 503)', 503, 10));
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect(grant.accessToken).toMatch(/^at-outlook-/);
    expect((await registry.get(UPN))?.cacheWriteFailure).toEqual({ code: 'keyvault_unavailable', at: clock.now() });
  });
});

describe('TokenService lastRefreshAt', () => {
  it('records a refresh when the last recorded one is over 6 hours old', async () => {
    const { service, registry, clock } = await setup({ smtpMinutesLeft: -5, lastRefreshAgeMs: 7 * HOUR });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect((await registry.get(UPN))?.lastRefreshAt).toEqual(clock.now());
  });

  it('does not write the registry for a refresh within 6 hours of the last recorded one', async () => {
    const { service, registry } = await setup({ smtpMinutesLeft: -5, lastRefreshAgeMs: 2 * HOUR });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect((await registry.get(UPN))?.lastRefreshAt).toEqual(new Date(T0 - 2 * HOUR));
  });

  it('does not record a refresh when the cached token served without one', async () => {
    const { service, registry } = await setup({ smtpMinutesLeft: 50, lastRefreshAgeMs: 7 * HOUR });
    await service.getToken({ mailbox: UPN, resource: 'smtp' });
    expect((await registry.get(UPN))?.lastRefreshAt).toEqual(new Date(T0 - 7 * HOUR));
  });
});

describe('TokenService failure mapping', () => {
  it('unknown mailbox -> 404 mailbox_not_connected without reading Key Vault or calling Entra', async () => {
    const { service, secrets, client } = await setup({ connected: false });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(MailboxNotConnectedError);
    expect(secrets.calls.getSecret).toBe(0);
    expect(client.calls).toBe(0);
  });

  it('unknown mailbox while the registry is lost (empty beside mailbox caches) -> 503 upstream_unavailable, Retry-After 60, never 404', async () => {
    const { service, client } = await setup({
      connected: false,
      registryLoss: { registryLost: () => Promise.resolve(true) },
    });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 60 });
    expect(client.calls).toBe(0);
  });

  it('unknown mailbox when the loss check itself fails -> 503, not 404 (a 404 could make the product drop a connected mailbox)', async () => {
    const { service } = await setup({
      connected: false,
      registryLoss: { registryLost: () => Promise.reject(new Error('vault down')) },
    });
    expect(await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }))).toMatchObject({
      code: 'upstream_unavailable',
      status: 503,
    });
  });

  it('the loss check is kept for 60 s per instance, then asked again', async () => {
    const { service, secrets, registry, clock } = await setup({ connected: false, registryLoss: 'real' });
    await secrets.setSecret(`mbx-${'a'.repeat(64)}`, '{}', { tags: CACHE_TAGS });
    expect(await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }))).toMatchObject({
      code: 'upstream_unavailable',
    });
    await registry.upsert({
      upn: 'other@contoso.example',
      tenantId: TENANT_ID,
      objectId: 'other-oid',
      cacheSecretName: 'mbx-other',
      connectedAt: clock.now(),
      lastRefreshAt: clock.now(),
      status: 'ok',
    });
    clock.ms += 59_000;
    expect(await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }))).toMatchObject({
      code: 'upstream_unavailable',
    });
    clock.ms += 2_000;
    expect(await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }))).toBeInstanceOf(
      MailboxNotConnectedError,
    );
  });

  it('a mailbox of another tenant than OAUTH_TENANT gets the same 404', async () => {
    const { service, client } = await setup({
      mailboxTenantId: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
      oauthTenant: TENANT_ID,
    });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(MailboxNotConnectedError);
    expect(client.calls).toBe(0);
  });

  it('a mailbox of a tenant no longer in ALLOWED_TENANTS -> 403 tenant_not_allowed, row kept, without Key Vault or Entra', async () => {
    const { service, client, secrets, registry } = await setup({
      smtpMinutesLeft: 50,
      allowedTenants: ['9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d'],
    });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toMatchObject({ code: 'tenant_not_allowed', status: 403 });
    expect({ oauth: client.calls, secretReads: secrets.calls.getSecret }).toEqual({ oauth: 0, secretReads: 0 });
    expect(await registry.get(UPN)).toMatchObject({ status: 'ok' });
  });

  it('a mailbox marked reconnect_required -> 409 with the connect URL, without calling Entra', async () => {
    const { service, client, secrets } = await setup({ status: 'reconnect_required', smtpMinutesLeft: 50 });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(ReconnectRequiredError);
    expect((error as ReconnectRequiredError).connectUrl).toBe(
      `${PUBLIC_BASE_URL}/api/connect?loginHint=${encodeURIComponent(UPN)}`,
    );
    expect(client.calls).toBe(0);
    expect(secrets.calls.getSecret).toBe(0);
  });

  it('invalid_grant -> marks the mailbox with the error code, 409, and no further Entra call for it', async () => {
    const { service, client, registry, clock } = await setup({ smtpMinutesLeft: -5 });
    client.failNextRefresh({ kind: 'reconnect_required', errorCode: 'AADSTS50173' });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(ReconnectRequiredError);
    expect(await registry.get(UPN)).toMatchObject({
      status: 'reconnect_required',
      lastErrorCode: 'AADSTS50173',
      lastErrorAt: clock.now(),
    });
    const refreshes = client.refreshes;
    await expect(service.getToken({ mailbox: UPN, resource: 'graph' })).rejects.toBeInstanceOf(ReconnectRequiredError);
    expect(client.refreshes).toBe(refreshes);
  });

  it('a cache secret gone from Key Vault -> reconnect_required', async () => {
    const { service, registry } = await setup({ smtpMinutesLeft: 50 });
    const record = (await registry.get(UPN))!;
    await registry.upsert({ ...record, cacheSecretName: 'mbx-missing' });
    await expect(service.getToken({ mailbox: UPN, resource: 'smtp' })).rejects.toBeInstanceOf(ReconnectRequiredError);
    expect((await registry.get(UPN))?.lastErrorCode).toBe('token_cache_missing');
  });

  it('invalid_client (after the client reloaded its secret) -> 503 with Retry-After and one credential alarm per hour', async () => {
    const { service, client, runs, registry } = await setup({ smtpMinutesLeft: -5 });
    client.failNextRefresh(
      { kind: 'invalid_client', errorCode: 'AADSTS7000215' },
      { kind: 'invalid_client', errorCode: 'AADSTS7000215' },
    );
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    await expect(service.getToken({ mailbox: UPN, resource: 'smtp' })).rejects.toBeInstanceOf(UpstreamUnavailableError);
    const alarms = (await runs.latest(10)).filter((report) => report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX));
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.errors).toEqual(['credential_rejected:AADSTS7000215']);
    expect((await registry.get(UPN))?.status).toBe('ok');
  });

  it("a tenant that removed the app (AADSTS700016) -> 409 with that tenant's admin-consent link; no alarm, no fail-fast", async () => {
    const { service, client, runs, registry, secrets } = await setup({ smtpMinutesLeft: -5, graphMinutesLeft: -5 });
    client.failNextRefresh({ kind: 'tenant_refused', errorCode: 'AADSTS700016' });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(ReconnectRequiredError);
    const consent = new URL((error as ReconnectRequiredError).adminConsentUrl!);
    expect(consent.pathname).toBe(`/${TENANT_ID}/v2.0/adminconsent`);
    expect(consent.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(consent.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'profile', 'offline_access']),
    );
    expect(await registry.get(UPN)).toMatchObject({ status: 'reconnect_required', lastErrorCode: 'AADSTS700016' });
    expect((await runs.latest(10)).filter((report) => report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX))).toEqual(
      [],
    );
    // Not a credential refusal: once the mailbox is back, Entra is asked at once.
    const record = (await registry.get(UPN))!;
    await registry.upsert({ ...record, status: 'ok' });
    const reads = secrets.calls.getSecret;
    const grant = await service.getToken({ mailbox: UPN, resource: 'graph' });
    expect(grant.accessToken).toMatch(/^at-graph-/);
    expect(secrets.calls.getSecret).toBeGreaterThan(reads);
  });

  it('after invalid_client the next cold requests within a minute fail fast without calling Entra or Key Vault again', async () => {
    const { service, client, secrets, clock } = await setup({ smtpMinutesLeft: -5, graphMinutesLeft: -5 });
    client.failNextRefresh({ kind: 'invalid_client', errorCode: 'AADSTS7000215' });
    await expect(service.getToken({ mailbox: UPN, resource: 'smtp' })).rejects.toBeInstanceOf(UpstreamUnavailableError);
    const before = { oauth: client.calls, secretReads: secrets.calls.getSecret };
    clock.advance(20 * 1000);
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'graph' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(40);
    await expect(service.keepAlive(UPN)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect({ oauth: client.calls, secretReads: secrets.calls.getSecret }).toEqual(before);
    // A minute later Entra is asked again (a rotation may have fixed the credential).
    clock.advance(41 * 1000);
    const grant = await service.getToken({ mailbox: UPN, resource: 'graph' });
    expect(grant.accessToken).toMatch(/^at-graph-/);
    expect(client.calls).toBeGreaterThan(before.oauth);
  });

  it('Entra 429/5xx -> 503 upstream_unavailable carrying the Retry-After', async () => {
    const { service, client } = await setup({ smtpMinutesLeft: -5 });
    client.failNextRefresh({ kind: 'unavailable', retryAfterSeconds: 12 });
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(12);
  });

  it("Key Vault unavailable on the read -> 503 with the store's Retry-After, no Entra call", async () => {
    const { service, secrets, client } = await setup({ smtpMinutesLeft: 50 });
    secrets.failNext('getSecret', new StoreUnavailableError('read secret: store unavailable (HTTP 429)', 429, 4));
    const error = await rejectionOf(service.getToken({ mailbox: UPN, resource: 'smtp' }));
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(4);
    expect(client.calls).toBe(0);
  });

  it('logs no token, refresh token or mailbox address', async () => {
    const { service, client, logs, secrets } = await setup({ smtpMinutesLeft: -5, storedAgeMs: 7 * HOUR });
    secrets.failNext('setSecret', new StoreUnavailableError('write secret: store unavailable (HTTP 503)', 503, 10));
    const grant = await service.getToken({ mailbox: UPN, resource: 'smtp' });
    client.failNextRefresh({ kind: 'reconnect_required', errorCode: 'AADSTS50173' });
    expect(await service.keepAlive(UPN)).toBe('reconnect_required');
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).not.toContain(grant.accessToken);
      expect(line).not.toContain('rt-');
      expect(line).not.toContain(UPN);
    }
  });
});

describe('TokenService.keepAlive', () => {
  it('forces a refresh even with a valid cached token and answers refreshed', async () => {
    const { service, client, secrets } = await setup({ smtpMinutesLeft: 50, storedAgeMs: 30 * 24 * HOUR });
    expect(await service.keepAlive(UPN)).toBe('refreshed');
    expect(client.refreshes).toBe(1);
    expect(secrets.versionCount(CACHE_SECRET)).toBe(2);
  });

  it('answers reconnect_required when the grant is gone, and marks the mailbox', async () => {
    const { service, client, registry } = await setup({ smtpMinutesLeft: 50 });
    client.failNextRefresh({ kind: 'reconnect_required', errorCode: 'AADSTS700082' });
    expect(await service.keepAlive(UPN)).toBe('reconnect_required');
    expect((await registry.get(UPN))?.lastErrorCode).toBe('AADSTS700082');
  });

  it('lets an outage through as an error (the monitor retries on its next run)', async () => {
    const { service, client } = await setup({ smtpMinutesLeft: 50 });
    client.failNextRefresh({ kind: 'unavailable', retryAfterSeconds: 3 });
    await expect(service.keepAlive(UPN)).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});
