// MailboxRegistry contract (DESIGN §5): run against the in-memory fake and the Table-storage adapter.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailboxTakenError } from '#src/shared/errors.js';
import type { MailboxRecord, MailboxRegistry } from '#src/shared/ports/index.js';
import { at, type MakeStore, type StoreUnderTest } from './storeHarness.js';

function mailbox(upn: string, overrides: Partial<MailboxRecord> = {}): MailboxRecord {
  return {
    upn,
    tenantId: '11111111-1111-4111-8111-111111111111',
    objectId: '22222222-2222-4222-8222-222222222222',
    cacheSecretName: 'mbx-0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    connectedAt: at('2026-03-01T10:00:00.000Z'),
    lastRefreshAt: at('2026-03-01T10:00:00.000Z'),
    status: 'ok',
    ...overrides,
  };
}

export function describeMailboxRegistryContract(name: string, makeStore: MakeStore<MailboxRegistry>): void {
  describe(`MailboxRegistry contract: ${name}`, () => {
    let subject: StoreUnderTest<MailboxRegistry>;
    let registry: MailboxRegistry;

    beforeEach(async () => {
      subject = await makeStore();
      registry = subject.store;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('answers undefined for a mailbox that never connected', async () => {
      expect(await registry.get('nobody@contoso.com')).toBeUndefined();
    });

    it('stores a connected mailbox under its lowercase upn and finds it case-insensitively', async () => {
      const stored = await registry.upsert(mailbox('Anna.Rossi@Contoso.com'));
      expect(stored.upn).toBe('anna.rossi@contoso.com');
      expect(stored.etag).toEqual(expect.any(String));

      const found = await registry.get('ANNA.ROSSI@contoso.COM');
      expect(found).toEqual({ ...mailbox('anna.rossi@contoso.com'), etag: expect.any(String) as string });
      expect(found?.connectedAt).toBeInstanceOf(Date);
    });

    it('keeps upns with characters that are not valid in table keys apart', async () => {
      const odd = ['a/b@contoso.com', 'a\\b@contoso.com', 'a#b@contoso.com', 'a?b@contoso.com', 'àè@contoso.com'];
      for (const upn of odd) await registry.upsert(mailbox(upn, { objectId: upn }));
      for (const upn of odd) expect((await registry.get(upn))?.objectId).toBe(upn);
      expect((await registry.list()).map((record) => record.upn).sort()).toEqual([...odd].sort());
    });

    it('keeps the result of the SMTP AUTH check with its code and time', async () => {
      const checkedAt = new Date('2026-03-01T10:00:00Z');
      await registry.upsert(
        mailbox('smtp@contoso.com', { smtpAuth: { state: 'disabled', code: '5.7.139', checkedAt } }),
      );
      expect((await registry.get('smtp@contoso.com'))?.smtpAuth).toEqual({
        state: 'disabled',
        code: '5.7.139',
        checkedAt,
      });
    });

    it('marks a mailbox reconnect_required with the error code and time', async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      const marked = await registry.markReconnectRequired(
        'Anna@contoso.com',
        'invalid_grant:50173',
        at('2026-03-05T08:00:00.000Z'),
      );
      expect(marked).toMatchObject({
        status: 'reconnect_required',
        lastErrorCode: 'invalid_grant:50173',
        lastErrorAt: at('2026-03-05T08:00:00.000Z'),
      });
      expect(await registry.get('anna@contoso.com')).toMatchObject({
        status: 'reconnect_required',
        lastErrorCode: 'invalid_grant:50173',
      });
    });

    it('answers undefined and creates nothing when updating an unknown mailbox', async () => {
      expect(
        await registry.markReconnectRequired('ghost@contoso.com', 'invalid_grant', at('2026-03-05T08:00:00.000Z')),
      ).toBeUndefined();
      expect(await registry.recordRefresh('ghost@contoso.com', at('2026-03-05T08:00:00.000Z'))).toBeUndefined();
      expect(
        await registry.recordCacheWriteFailure('ghost@contoso.com', 'kv_429', at('2026-03-05T08:00:00.000Z')),
      ).toBeUndefined();
      expect(await registry.list()).toEqual([]);
    });

    it('a reconnect replaces the row: new connectedAt, status ok, no error left', async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      await registry.markReconnectRequired('anna@contoso.com', 'invalid_grant:50173', at('2026-03-05T08:00:00.000Z'));
      await registry.recordCacheWriteFailure('anna@contoso.com', 'kv_unavailable', at('2026-03-05T08:01:00.000Z'));
      const reconnectedAt = at('2026-03-06T09:00:00.000Z');
      await registry.upsert(mailbox('anna@contoso.com', { connectedAt: reconnectedAt, lastRefreshAt: reconnectedAt }));

      const record = await registry.get('anna@contoso.com');
      expect(record).toMatchObject({ status: 'ok', connectedAt: reconnectedAt, lastRefreshAt: reconnectedAt });
      expect(record?.lastErrorCode).toBeUndefined();
      expect(record?.cacheWriteFailure).toBeUndefined();
    });

    it('moves lastRefreshAt forward and never back', async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      await registry.recordRefresh('anna@contoso.com', at('2026-03-10T00:00:00.000Z'));
      await registry.recordRefresh('anna@contoso.com', at('2026-03-08T00:00:00.000Z'));
      expect((await registry.get('anna@contoso.com'))?.lastRefreshAt).toEqual(at('2026-03-10T00:00:00.000Z'));
    });

    it('records a token-cache write failure with its code and time', async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      await registry.recordCacheWriteFailure('anna@contoso.com', 'kv_429', at('2026-03-05T08:00:00.000Z'));
      expect((await registry.get('anna@contoso.com'))?.cacheWriteFailure).toEqual({
        code: 'kv_429',
        at: at('2026-03-05T08:00:00.000Z'),
      });
    });

    it('changes the etag on every write', async () => {
      const first = await registry.upsert(mailbox('anna@contoso.com'));
      const second = await registry.recordRefresh('anna@contoso.com', at('2026-03-10T00:00:00.000Z'));
      expect(second?.etag).toEqual(expect.any(String));
      expect(second?.etag).not.toBe(first.etag);
    });

    it("keeps every concurrent writer's change (ETag conflicts are re-read and re-applied)", async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      const refreshTimes = Array.from({ length: 6 }, (_, day) => at(`2026-03-1${day}T00:00:00.000Z`));
      await Promise.all([
        registry.markReconnectRequired('anna@contoso.com', 'invalid_grant:50173', at('2026-03-05T08:00:00.000Z')),
        registry.recordCacheWriteFailure('anna@contoso.com', 'kv_429', at('2026-03-05T08:00:00.000Z')),
        ...refreshTimes.map((time) => registry.recordRefresh('anna@contoso.com', time)),
      ]);
      expect(await registry.get('anna@contoso.com')).toMatchObject({
        status: 'reconnect_required',
        lastErrorCode: 'invalid_grant:50173',
        cacheWriteFailure: { code: 'kv_429' },
        lastRefreshAt: at('2026-03-15T00:00:00.000Z'),
      });
    });

    it('lists every mailbox', async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      await registry.upsert(mailbox('marco@fabrikam.com', { tenantId: '33333333-3333-4333-8333-333333333333' }));
      const records = await registry.list();
      expect(records.map((record) => record.upn).sort()).toEqual(['anna@contoso.com', 'marco@fabrikam.com']);
      for (const record of records) expect(record.etag).toEqual(expect.any(String));
    });
    it('binds an address to one identity: another identity presenting it is refused and nothing is written', async () => {
      await registry.upsert(mailbox('marketing@fabrikam.com'));
      const before = await registry.list();
      const intruder = mailbox('MARKETING@fabrikam.com', {
        tenantId: '33333333-3333-4333-8333-333333333333',
        objectId: '44444444-4444-4444-8444-444444444444',
      });
      await expect(registry.upsert(intruder)).rejects.toBeInstanceOf(MailboxTakenError);
      expect(await registry.list()).toEqual(before);
      expect(await registry.getByIdentity(intruder.tenantId, intruder.objectId)).toBeUndefined();
      expect((await registry.get('marketing@fabrikam.com'))?.tenantId).toBe('11111111-1111-4111-8111-111111111111');
    });

    it('treats a look-alike address (Kelvin sign) as the address it imitates', async () => {
      await registry.upsert(mailbox('marketing@fabrikam.com'));
      const lookAlike = mailbox('mar\u212Aeting@fabrikam.com', { objectId: '44444444-4444-4444-8444-444444444444' });
      await expect(registry.upsert(lookAlike)).rejects.toBeInstanceOf(MailboxTakenError);
      expect(await registry.list()).toHaveLength(1);
    });

    it('finds a mailbox by its identity', async () => {
      await registry.upsert(mailbox('anna@contoso.com'));
      expect(
        await registry.getByIdentity('11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'),
      ).toMatchObject({ upn: 'anna@contoso.com' });
    });

    it('moves an identity that reconnects under a new address: the old address is released', async () => {
      await registry.upsert(mailbox('anna.old@contoso.com'));
      await registry.upsert(mailbox('anna.new@contoso.com'));
      expect(await registry.get('anna.old@contoso.com')).toBeUndefined();
      expect((await registry.get('anna.new@contoso.com'))?.upn).toBe('anna.new@contoso.com');
      expect(await registry.list()).toHaveLength(1);
      await registry.upsert(mailbox('anna.old@contoso.com', { objectId: '44444444-4444-4444-8444-444444444444' }));
      expect((await registry.get('anna.old@contoso.com'))?.objectId).toBe('44444444-4444-4444-8444-444444444444');
    });

    it('removes a mailbox and its address: the address is unknown and free for another identity', async () => {
      await registry.upsert(mailbox('anna@contoso.com', { ref: 'crm-42' }));
      expect(await registry.remove('ANNA@contoso.com')).toMatchObject({ upn: 'anna@contoso.com', ref: 'crm-42' });
      expect(await registry.get('anna@contoso.com')).toBeUndefined();
      expect(await registry.list()).toEqual([]);
      expect(await registry.remove('anna@contoso.com')).toBeUndefined();
      expect(
        await registry.markReconnectRequired('anna@contoso.com', 'x', at('2026-03-05T08:00:00.000Z')),
      ).toBeUndefined();
      await registry.upsert(mailbox('anna@contoso.com', { objectId: '44444444-4444-4444-8444-444444444444' }));
      expect((await registry.get('anna@contoso.com'))?.objectId).toBe('44444444-4444-4444-8444-444444444444');
    });

    it('keeps the ref of a connection', async () => {
      await registry.upsert(mailbox('anna@contoso.com', { ref: 'crm-42' }));
      expect((await registry.get('anna@contoso.com'))?.ref).toBe('crm-42');
    });
  });
}
