// The Table-storage ports: each contract suite against the in-memory fake and the real adapter on Azurite
// (real @azure/data-tables over HTTP, one fresh table per test).
import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../../../dev/cloud/azurite.js';
import { createTableAlertLedger } from '#src/shared/adapters/tables/alertLedger.js';
import { createTableMailboxRegistry } from '#src/shared/adapters/tables/mailboxRegistry.js';
import { createTableRotationStore } from '#src/shared/adapters/tables/rotationStore.js';
import { createTableRunReportStore } from '#src/shared/adapters/tables/runReportStore.js';
import { createTableUsedFlows } from '#src/shared/adapters/tables/usedFlows.js';
import { createTableAttemptLimiter } from '#src/shared/adapters/tables/attemptLimiter.js';
import {
  connectionStringUsesHttp,
  createTableAccess,
  tableKey,
  type TableAccess,
} from '#src/shared/adapters/tables/tableAccess.js';
import { createTableStores } from '#src/shared/adapters/tables/index.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import { describeAlertLedgerContract } from '../../contract/alertLedger.contract.js';
import { describeMailboxRegistryContract } from '../../contract/mailboxRegistry.contract.js';
import { describeRotationStoreContract } from '../../contract/rotationStore.contract.js';
import { describeRunReportStoreContract } from '../../contract/runReportStore.contract.js';
import { describeUsedFlowsContract } from '../../contract/usedFlows.contract.js';
import { describeAttemptLimiterContract } from '../../contract/attemptLimiter.contract.js';
import type { StoreUnderTest } from '../../contract/storeHarness.js';
import {
  InMemoryAlertLedger,
  InMemoryMailboxRegistry,
  InMemoryRotationStore,
  InMemoryRunReportStore,
  InMemoryUsedFlows,
  InMemoryAttemptLimiter,
} from '../../fakes/index.js';

const inMemory =
  <S>(store: S) =>
  () =>
    Promise.resolve({ store, cleanup: () => Promise.resolve() });

describeMailboxRegistryContract('in-memory fake', () => inMemory(new InMemoryMailboxRegistry())());
describeAlertLedgerContract('in-memory fake', () => inMemory(new InMemoryAlertLedger())());
describeRotationStoreContract('in-memory fake', () => inMemory(new InMemoryRotationStore<RotationRecord>())());
describeRunReportStoreContract('in-memory fake', () => inMemory(new InMemoryRunReportStore())());
describeUsedFlowsContract('in-memory fake', () => inMemory(new InMemoryUsedFlows())());
describeAttemptLimiterContract('in-memory fake', () => inMemory(new InMemoryAttemptLimiter())());

describe('on Azurite', () => {
  let azurite: AzuriteHandle | undefined;

  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  function connectionString(): string {
    if (azurite === undefined) throw new Error('Azurite did not start');
    return azurite.connectionString;
  }

  /** A store on its own new table, dropped afterwards. */
  function onFreshTable<S>(build: (tables: TableAccess, tableName: string) => S): () => Promise<StoreUnderTest<S>> {
    return () => {
      const tableName = `t${randomBytes(6).toString('hex')}`;
      const tables = createTableAccess({ kind: 'connectionString', connectionString: connectionString() });
      return Promise.resolve({
        store: build(tables, tableName),
        cleanup: async () => {
          await (await tables.table(tableName)).deleteTable();
        },
      });
    };
  }

  describeMailboxRegistryContract(
    'Table storage on Azurite',
    onFreshTable((tables, name) => createTableMailboxRegistry(tables, name)),
  );
  describeAlertLedgerContract(
    'Table storage on Azurite',
    onFreshTable((tables, tableName) => createTableAlertLedger(tables, { tableName })),
  );
  describeRotationStoreContract(
    'Table storage on Azurite',
    onFreshTable((tables, name) => createTableRotationStore<RotationRecord>(tables, name)),
  );
  describeRunReportStoreContract(
    'Table storage on Azurite',
    onFreshTable((tables, name) => createTableRunReportStore(tables, name)),
  );
  describeUsedFlowsContract(
    'Table storage on Azurite',
    onFreshTable((tables, name) => createTableUsedFlows(tables, name)),
  );
  describeAttemptLimiterContract(
    'Table storage on Azurite',
    onFreshTable((tables, name) => createTableAttemptLimiter(tables, name)),
  );

  it('creates the keyrelay tables on first use, under their documented names', async () => {
    const stores = createTableStores({ kind: 'connectionString', connectionString: connectionString() });
    await stores.mailboxes.list();
    await stores.alerts.list();
    await stores.rotations.listHistory('app');
    await stores.runs.latest(1);

    const service = TableServiceClient.fromConnectionString(connectionString(), { allowInsecureConnection: true });
    const names: string[] = [];
    for await (const table of service.listTables()) if (table.name !== undefined) names.push(table.name);
    expect(names).toEqual(
      expect.arrayContaining(['keyrelayMailboxes', 'keyrelayAlerts', 'keyrelayRotations', 'keyrelayRuns']),
    );
  });

  describe('rows written by the first registry version (keyed by upn)', () => {
    const legacyRow = (upn: string, objectId: string) => ({
      partitionKey: 'mailbox',
      rowKey: tableKey(upn),
      upn,
      tenantId: '11111111-1111-4111-8111-111111111111',
      objectId,
      cacheSecretName: 'mbx-legacy',
      connectedAt: new Date('2026-03-01T10:00:00.000Z'),
      lastRefreshAt: new Date('2026-03-02T10:00:00.000Z'),
      status: 'ok',
    });

    async function freshRegistryWith(rows: Record<string, unknown>[]) {
      const tableName = `t${randomBytes(6).toString('hex')}`;
      const tables = createTableAccess({ kind: 'connectionString', connectionString: connectionString() });
      const client = await tables.table(tableName);
      for (const row of rows) await client.createEntity(row as { partitionKey: string; rowKey: string });
      return { registry: createTableMailboxRegistry(tables, tableName), client };
    }

    it('are listed, read by address, moved to the identity layout, and bind their address', async () => {
      const { registry, client } = await freshRegistryWith([
        legacyRow('anna@contoso.com', '22222222-2222-4222-8222-222222222222'),
      ]);
      expect((await registry.list()).map((record) => record.upn)).toEqual(['anna@contoso.com']);
      expect(await registry.get('Anna@contoso.com')).toMatchObject({
        upn: 'anna@contoso.com',
        cacheSecretName: 'mbx-legacy',
      });
      const partitions: string[] = [];
      for await (const row of client.listEntities()) partitions.push(String(row.partitionKey));
      expect(partitions.sort()).toEqual(['address', 'identity']);
      const intruder = {
        ...legacyRow('anna@contoso.com', '44444444-4444-4444-8444-444444444444'),
        status: 'ok' as const,
      };
      await expect(
        registry.upsert({ ...intruder, connectedAt: new Date(), lastRefreshAt: new Date() }),
      ).rejects.toMatchObject({ code: 'mailbox_taken' });
    });

    it('bind their address before any new identity can take it', async () => {
      const { registry } = await freshRegistryWith([
        legacyRow('anna@contoso.com', '22222222-2222-4222-8222-222222222222'),
      ]);
      const intruder = legacyRow('anna@contoso.com', '44444444-4444-4444-8444-444444444444');
      await expect(
        registry.upsert({ ...intruder, status: 'ok', connectedAt: new Date(), lastRefreshAt: new Date() }),
      ).rejects.toMatchObject({ code: 'mailbox_taken' });
      expect((await registry.get('anna@contoso.com'))?.objectId).toBe('22222222-2222-4222-8222-222222222222');
    });

    it('that cannot be read are skipped and counted, never a reason to fail the listing', async () => {
      const { registry } = await freshRegistryWith([
        { ...legacyRow('broken@contoso.com', '22222222-2222-4222-8222-222222222222'), status: 'frozen' },
        legacyRow('anna@contoso.com', '33333333-3333-4333-8333-333333333333'),
      ]);
      const listing = await registry.scan();
      expect(listing.records.map((record) => record.upn)).toEqual(['anna@contoso.com']);
      expect(listing.unreadableRows).toBe(1);
      expect(await registry.get('broken@contoso.com')).toBeUndefined();
    });
  });

  it('reports a stopped storage service as unavailable, with a retry delay', async () => {
    const tables = createTableAccess({
      kind: 'connectionString',
      connectionString: connectionString().replace(/:\d+\//g, ':1/'),
    });
    const registry = createTableMailboxRegistry(tables, 'unreachable');
    await expect(registry.get('anna@contoso.com')).rejects.toMatchObject({
      name: 'StoreUnavailableError',
      code: 'upstream_unavailable',
      retryAfterSeconds: expect.any(Number) as number,
    });
  });
});

describe('Table storage connection strings', () => {
  it('allows plain http only for connection strings that name an http endpoint', () => {
    expect(connectionStringUsesHttp('UseDevelopmentStorage=true')).toBe(true);
    expect(
      connectionStringUsesHttp(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1',
      ),
    ).toBe(true);
    expect(
      connectionStringUsesHttp(
        'DefaultEndpointsProtocol=https;AccountName=kr;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      ),
    ).toBe(false);
    expect(
      connectionStringUsesHttp(
        'DefaultEndpointsProtocol=http;AccountName=kr;AccountKey=a2V5;TableEndpoint=https://kr.table.core.windows.net',
      ),
    ).toBe(false);
  });
});
