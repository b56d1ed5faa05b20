// Storage loss (DESIGN §5, issue 14) on the real SDKs: the registry's rows (or its table) gone in Azurite
// while the mailbox caches stay in the Key Vault emulator. /api/token answers 503 (never 404) until the
// monitor's next run rebuilds the registry from the caches; then the same tokens are handed out again.
import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTOSO_TENANT_ID } from '../../../dev/cloud/index.js';
import { MAILBOX_TABLE } from '#src/shared/adapters/tables/mailboxRegistry.js';
import { toErrorResult } from '#src/shared/http/index.js';
import { createRegistryRebuild } from '#src/shared/services/mailboxes/registryRebuild.js';
import { createApp } from '#src/shared/runtime/app.js';
import { createTokenServiceFor } from '#src/shared/runtime/token.js';
import { connectMailbox, type ConnectedMailbox } from '../../support/connectMailbox.js';
import { recordingLogger } from '../../support/recordingLogger.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';

const MARIO = 'mario.rossi@contoso.onmicrosoft.com';
const GIULIA = 'giulia.bianchi@contoso.onmicrosoft.com';
const UNPARSABLE_CACHE = `mbx-${'0'.repeat(64)}`;
const MISNAMED_CACHE = `mbx-${'1'.repeat(64)}`;
const FUNCTION_KEY = 'registry-rebuild-test-key';
const CACHE_TAGS = { kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid: CONTOSO_TENANT_ID };

const logger = recordingLogger();
const logLines = logger.lines;

let stack: TestStack | undefined;
let host: TestHost | undefined;

afterEach(async () => {
  await host?.close();
  host = undefined;
  await stack?.close();
  stack = undefined;
  logLines.length = 0;
});

function mailboxTable(s: TestStack): TableClient {
  return TableClient.fromConnectionString(s.settings.AzureWebJobsStorage!, MAILBOX_TABLE, {
    allowInsecureConnection: true,
  });
}

async function deleteEveryRegistryRow(s: TestStack): Promise<void> {
  const table = mailboxTable(s);
  for await (const row of table.listEntities()) await table.deleteEntity(row.partitionKey!, row.rowKey!);
}

/** What POST /api/token answers a new instance (cold: its memory holds nothing). */
async function tokenAnswer(s: TestStack, mailbox: string) {
  try {
    const grant = await createTokenServiceFor(s.core).getToken({ mailbox, resource: 'smtp' });
    return { status: 200, headers: {} as Record<string, string>, body: grant as unknown as Record<string, unknown> };
  } catch (error) {
    const result = toErrorResult(error, { format: 'json', locale: 'en' });
    return { status: result.status, headers: result.headers ?? {}, body: result.jsonBody as Record<string, unknown> };
  }
}

async function connectTwo(s: TestStack): Promise<[ConnectedMailbox, ConnectedMailbox]> {
  return [await connectMailbox(s, MARIO), await connectMailbox(s, GIULIA)];
}

describe('registry rebuilt from the mailbox caches in Key Vault', () => {
  it('rows deleted: /api/token answers 503 (not 404) until the monitor rebuilds the registry; then the same tokens', async () => {
    const s = (stack = await startTestStack({
      settings: { ALERT_MAIL_AUTH: 'managed-identity', ALERT_LOCALE: 'en', ROTATION_MODE: 'alert-only' },
    }));
    const [mario, giulia] = await connectTwo(s);
    const before = await tokenAnswer(s, MARIO);
    expect(before.status).toBe(200);

    await deleteEveryRegistryRow(s);
    const lost = await tokenAnswer(s, MARIO);
    expect(lost.status).toBe(503);
    expect(lost.body).toMatchObject({ error: 'upstream_unavailable' });
    expect(String(lost.body.message)).toContain('being rebuilt');
    expect(Number(lost.headers['Retry-After'])).toBeGreaterThan(0);

    const { monitor } = createApp(s.config, { ...s.overrides, logger, rotation: false }).monitor();
    const run = await monitor.run();
    expect(run.counts).toMatchObject({ registryRebuilt: 2, mailboxes: 2 });
    expect(run.errors).toContain('registry_rebuilt:2');
    const [report] = await s.core.runReports.latest(1);
    expect(report?.counts.registryRebuilt).toBe(2);
    expect(report?.errors).toContain('registry_rebuilt:2');

    for (const connected of [mario, giulia]) {
      expect(await s.core.mailboxRegistry.get(connected.upn)).toMatchObject({
        upn: connected.upn,
        tenantId: connected.tenantId,
        objectId: connected.objectId,
        cacheSecretName: connected.cacheSecretName,
        status: 'ok',
      });
    }
    const after = await tokenAnswer(s, MARIO);
    expect(after.status).toBe(200);
    // The access token cached in Key Vault at connect: nothing was lost, nothing had to be refreshed.
    expect(after.body.accessToken).toBe(before.body.accessToken);
    expect((await tokenAnswer(s, GIULIA)).status).toBe(200);
    expect(logLines.join('\n')).not.toContain(String(before.body.accessToken));
  });

  it('through the host: POST /api/token answers 503 with Retry-After while the registry is lost, 200 after the monitor run', async () => {
    const s = (stack = await startTestStack());
    await connectMailbox(s, MARIO);
    host = await startTestHost(s, { functionKey: FUNCTION_KEY });
    const post = () =>
      fetch(`${host!.url}/api/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY },
        body: JSON.stringify({ mailbox: MARIO, resource: 'smtp' }),
      });
    await deleteEveryRegistryRow(s);
    const lost = await post();
    expect(lost.status).toBe(503);
    expect(lost.headers.get('retry-after')).toBe('60');
    expect(await lost.json()).toMatchObject({ error: 'upstream_unavailable' });

    await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    const repaired = await post();
    expect(repaired.status).toBe(200);
    expect(await repaired.json()).toMatchObject({ mailbox: MARIO, tenantId: CONTOSO_TENANT_ID });
  });

  it('the table deleted: the monitor recreates it and rebuilds the registry in the same run', async () => {
    const s = (stack = await startTestStack({
      settings: { ALERT_MAIL_AUTH: 'managed-identity', ALERT_LOCALE: 'en', ROTATION_MODE: 'alert-only' },
    }));
    await connectTwo(s);
    await mailboxTable(s).deleteTable();
    const run = await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    expect(run.counts).toMatchObject({ registryRebuilt: 2, mailboxes: 2 });
    expect((await s.core.mailboxRegistry.list()).map((record) => record.upn).sort()).toEqual([GIULIA, MARIO]);
  });

  it("an unparsable cache and a cache under a name that is not its account's are skipped and counted", async () => {
    const s = (stack = await startTestStack());
    const [mario] = await connectTwo(s);
    await s.core.secretStore.setSecret(UNPARSABLE_CACHE, 'not an MSAL cache', { tags: CACHE_TAGS });
    const marioCache = await s.core.secretStore.getSecret(mario.cacheSecretName);
    await s.core.secretStore.setSecret(MISNAMED_CACHE, marioCache!.value, { tags: CACHE_TAGS });
    await deleteEveryRegistryRow(s);

    const run = await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    expect(run.counts).toMatchObject({ registryRebuilt: 2, mailboxCachesUnparsable: 2, mailboxes: 2 });
    expect(run.errors).toContain('mailbox_caches_unparsable:2');
    expect(await s.core.mailboxRegistry.list()).toHaveLength(2);
  });

  it('is idempotent, never overwrites a row, and two instances rebuilding at once write each mailbox once', async () => {
    const s = (stack = await startTestStack());
    const [mario] = await connectTwo(s);
    await deleteEveryRegistryRow(s);
    const instance = () =>
      createRegistryRebuild({
        secretStore: s.core.secretStore,
        mailboxRegistry: s.core.mailboxRegistry,
        clock: s.core.clock,
        logger,
      });
    const results = await Promise.all([instance().rebuild(), instance().rebuild()]);
    expect(results.reduce((sum, result) => sum + result.rebuilt + result.conflicts + result.alreadyRegistered, 0)).toBe(
      4,
    );
    expect(await s.core.mailboxRegistry.list()).toHaveLength(2);

    await s.core.mailboxRegistry.markReconnectRequired(mario.upn, 'invalid_grant:50173', s.core.clock.now());
    expect(await instance().rebuild()).toEqual({ rebuilt: 0, alreadyRegistered: 2, unparsable: 0, conflicts: 0 });
    expect(await s.core.mailboxRegistry.get(mario.upn)).toMatchObject({
      status: 'reconnect_required',
      lastErrorCode: 'invalid_grant:50173',
    });
  });

  it('a populated registry and an unknown mailbox: still 404 mailbox_not_connected, without listing Key Vault', async () => {
    const s = (stack = await startTestStack());
    await connectMailbox(s, MARIO);
    s.local.cloud.clearRequestLog();
    const answer = await tokenAnswer(s, 'nobody@contoso.onmicrosoft.com');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: 'mailbox_not_connected' });
    expect(s.local.cloud.requestLog().entries.filter((entry) => entry.service === 'keyvault')).toEqual([]);
  });

  it('an empty registry and no mailbox cache in Key Vault: an unknown mailbox is 404', async () => {
    const s = (stack = await startTestStack());
    expect((await tokenAnswer(s, MARIO)).status).toBe(404);
  });

  it('the loss check is kept per instance for a minute: unknown mailboxes do not become Key Vault listings', async () => {
    const s = (stack = await startTestStack());
    await connectMailbox(s, MARIO);
    await deleteEveryRegistryRow(s);
    const tokens = createTokenServiceFor(s.core);
    s.local.cloud.clearRequestLog();
    for (let i = 0; i < 5; i += 1) {
      await expect(
        tokens.getToken({ mailbox: `unknown${i}@contoso.onmicrosoft.com`, resource: 'smtp' }),
      ).rejects.toMatchObject({ code: 'upstream_unavailable' });
    }
    const listings = s.local.cloud
      .requestLog()
      .entries.filter((entry) => entry.service === 'keyvault' && entry.route === 'secrets.list');
    expect(listings).toHaveLength(1);
  });
});
