// The monitor run on the in-memory ports (tests/fakes) with an injected clock: alerts once per threshold,
// one digest per day under concurrency, retries after a failed send, Graph 403 fallback, keep-alive.
import { describe, expect, it } from 'vitest';
import type { AppRegistration, AppRegistrationDirectory } from '../../../../../src/shared/adapters/graphApplications.js';
import { GraphRequestError } from '../../../../../src/shared/adapters/graphClient.js';
import type { OutgoingMail } from '../../../../../src/shared/adapters/graphMailer.js';
import { addDays } from '../../../../../src/shared/domain/monitor/expiryPolicy.js';
import type { Logger } from '../../../../../src/shared/logger.js';
import type { MailboxRecord } from '../../../../../src/shared/ports.js';
import { createMonitorService, type MonitorDependencies } from '../../../../../src/shared/services/monitor/monitorService.js';
import type { MailboxKeepAlive } from '../../../../../src/shared/services/monitor/ports.js';
import {
  InMemoryAlertLedger,
  InMemoryMailboxRegistry,
  InMemoryRunReportStore,
  InMemorySecretStore,
} from '../../../../fakes/index.js';

const APP_ID = '11111111-2222-4333-8444-555555555555';
const TENANT_ID = '99999999-8888-4777-8666-555555555555';
const KEY_ID = 'aaaaaaaa-0000-4000-8000-000000000001';
const SECRET_NAME = 'oauth-client-secret';
const START = new Date('2026-03-01T06:00:00Z');

const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

class FakeDirectory implements Pick<AppRegistrationDirectory, 'getApplication'> {
  failure: GraphRequestError | undefined;
  constructor(readonly app: AppRegistration) {}
  getApplication(): Promise<AppRegistration> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.resolve(structuredClone(this.app));
  }
}

class RecordingMailer {
  readonly sent: OutgoingMail[] = [];
  failuresLeft = 0;
  send(mail: OutgoingMail): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      return Promise.reject(new GraphRequestError({ status: 503, code: 'ServiceUnavailable' }));
    }
    this.sent.push(mail);
    return Promise.resolve();
  }
}

interface World {
  clock: { current: Date; now(): Date };
  directory: FakeDirectory;
  secrets: InMemorySecretStore;
  registry: InMemoryMailboxRegistry;
  ledger: InMemoryAlertLedger;
  runs: InMemoryRunReportStore;
  mailer: RecordingMailer;
  deps(extra?: Partial<MonitorDependencies>): MonitorDependencies;
}

async function world(secretExpiresAt: Date): Promise<World> {
  const clock = { current: START, now() { return this.current; } };
  const directory = new FakeDirectory({
    id: 'object-id',
    appId: APP_ID,
    displayName: 'ActNow',
    passwordCredentials: [
      { keyId: KEY_ID, displayName: 'ActNow', hint: 'abc', startDateTime: addDays(secretExpiresAt, -730).toISOString(), endDateTime: secretExpiresAt.toISOString() },
    ],
    keyCredentials: [],
  });
  const secrets = new InMemorySecretStore(clock);
  await secrets.setSecret(SECRET_NAME, 'abc-secret-text', { expiresOn: secretExpiresAt, tags: { appId: APP_ID, keyId: KEY_ID, managedBy: 'keyrelay' } });
  const registry = new InMemoryMailboxRegistry();
  const ledger = new InMemoryAlertLedger();
  const runs = new InMemoryRunReportStore();
  const mailer = new RecordingMailer();
  return {
    clock,
    directory,
    secrets,
    registry,
    ledger,
    runs,
    mailer,
    deps: (extra = {}) => ({
      config: {
        oauthClientId: APP_ID,
        azureTenantId: TENANT_ID,
        oauthClientSecretName: SECRET_NAME,
        publicBaseUrl: 'https://keyrelay.example',
        alertThresholdsDays: [60, 30, 14, 7, 3, 1, 0],
        alertRecipients: ['it-admin@contoso.example'],
        alertSender: 'alerts@contoso.example',
        alertLocale: 'en',
        rotationMode: 'alert-only',
        rotationLeadDays: 30,
      },
      clock,
      appDirectory: directory,
      secretStore: secrets,
      mailboxRegistry: registry,
      alertLedger: ledger,
      runReports: runs,
      mailer,
      logger: silentLogger,
      ...extra,
    }),
  };
}

function mailbox(upn: string, lastRefreshAt: Date, status: MailboxRecord['status'] = 'ok'): MailboxRecord {
  return {
    upn,
    tenantId: TENANT_ID,
    objectId: `oid-${upn}`,
    cacheSecretName: `mbx-${upn.length}`,
    connectedAt: addDays(lastRefreshAt, -1),
    lastRefreshAt,
    status,
  };
}

describe('MonitorService.run', () => {
  it('walking day by day from 61 days to past expiry sends one alert per threshold and one expired alert', async () => {
    // Expires in the evening, so the 06:00 run on the expiry day still sees it valid (0 days left).
    const expiresAt = new Date(addDays(START, 61).getTime() + 12 * 3_600_000);
    const w = await world(expiresAt);
    const monitor = createMonitorService(w.deps());
    for (let day = 0; day <= 63; day += 1) {
      w.clock.current = addDays(START, day);
      await monitor.run();
    }
    const thresholds = (await w.ledger.list())
      .filter((entry) => entry.credentialId === `app:${APP_ID}:password:${KEY_ID}`)
      .map((entry) => [entry.threshold, entry.state]);
    expect(thresholds.sort()).toEqual(
      ['0', '1', '14', '3', '30', '60', '7', 'expired'].map((threshold) => [threshold, 'sent']),
    );
    expect(w.mailer.sent).toHaveLength(8);
    expect(w.mailer.sent[0]?.subject).toContain('expires in 60 days');
    expect(w.mailer.sent.at(-1)?.subject).toContain('expired');
  });

  it('stays silent once a newer password is in use', async () => {
    const w = await world(addDays(START, 20));
    const monitor = createMonitorService(w.deps());
    const newKeyId = 'bbbbbbbb-0000-4000-8000-000000000002';
    w.directory.app.passwordCredentials.push({ keyId: newKeyId, displayName: 'ActNow 2', hint: 'xyz', startDateTime: START.toISOString(), endDateTime: addDays(START, 730).toISOString() });
    await w.secrets.setSecret(SECRET_NAME, 'xyz-new-secret', { expiresOn: addDays(START, 730), tags: { appId: APP_ID, keyId: newKeyId } });
    const result = await monitor.run();
    expect(result.counts.alertsDue).toBe(0);
    expect(w.mailer.sent).toHaveLength(0);
  });

  it('sends one digest for two concurrent runs and a later manual run on the same day', async () => {
    const w = await world(addDays(START, 30));
    const monitor = createMonitorService(w.deps());
    const [first, second] = await Promise.all([monitor.run(), monitor.run()]);
    const manual = await monitor.run({ runId: 'manual-run' });
    expect([first.digest, second.digest, manual.digest].filter((digest) => digest !== undefined)).toHaveLength(1);
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('a run id seen before is a duplicate and does nothing', async () => {
    const w = await world(addDays(START, 30));
    const monitor = createMonitorService(w.deps());
    await monitor.run({ runId: 'r1' });
    expect((await monitor.run({ runId: 'r1' })).outcome).toBe('duplicate');
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('releases the alert when the mail fails and sends it once on the next run', async () => {
    const w = await world(addDays(START, 30));
    const monitor = createMonitorService(w.deps());
    w.mailer.failuresLeft = 1;
    const failed = await monitor.run();
    expect(failed.errors).toContain('mail_send_failed:503:ServiceUnavailable');
    expect((await w.ledger.list()).find((e) => e.threshold === '30')?.state).toBe('released');
    await monitor.run();
    await monitor.run();
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('a failing webhook does not block the mail', async () => {
    const w = await world(addDays(START, 14));
    const webhook = { notify: () => Promise.reject(Object.assign(new Error('down'), { code: 'http_500' })) };
    const result = await createMonitorService(w.deps({ webhook })).run();
    expect(result.digest?.channels).toEqual(['mail']);
    expect(result.errors).toContain('webhook_failed:http_500');
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('Graph 403 falls back to the Key Vault expiry and names the missing permission', async () => {
    const w = await world(addDays(START, 7));
    w.directory.failure = new GraphRequestError({ status: 403, code: 'Authorization_RequestDenied' });
    const result = await createMonitorService(w.deps()).run();
    expect(result.errors).toContain('graph_permission_missing');
    const mail = w.mailer.sent[0];
    expect(mail?.subject).toContain('expires in 7 days');
    expect(mail?.html).toContain('Application.Read.All');
  });

  it('without recipients or sender records alerts_not_configured and leaves alerts unsent', async () => {
    const w = await world(addDays(START, 30));
    const deps = w.deps();
    const { mailer: _mailer, ...withoutMailer } = deps;
    const result = await createMonitorService({ ...withoutMailer, config: { ...deps.config, alertRecipients: [] } }).run();
    expect(result.errors).toContain('alerts_not_configured');
    expect((await w.ledger.list()).every((entry) => entry.state !== 'sent')).toBe(true);
    expect((await w.runs.latest(1))[0]?.errors).toContain('alerts_not_configured');
  });

  it('refreshes mailboxes idle for more than a week and carries the reconnect link of a revoked one', async () => {
    const w = await world(addDays(START, 400));
    await w.registry.upsert(mailbox('idle@contoso.example', addDays(START, -8)));
    await w.registry.upsert(mailbox('fresh@contoso.example', addDays(START, -2)));
    await w.registry.upsert(mailbox('revoked@contoso.example', addDays(START, -10)));
    const kept: string[] = [];
    const keepAlive: MailboxKeepAlive = {
      keepAlive: (upn) => {
        kept.push(upn);
        return Promise.resolve(upn.startsWith('revoked') ? 'reconnect_required' : 'refreshed');
      },
    };
    const result = await createMonitorService(w.deps({ keepAlive })).run();
    expect(kept.sort()).toEqual(['idle@contoso.example', 'revoked@contoso.example']);
    expect((await w.registry.get('revoked@contoso.example'))?.status).toBe('reconnect_required');
    expect(result.counts.reconnectRequired).toBe(1);
    expect(w.mailer.sent[0]?.html).toContain('https://keyrelay.example/api/connect?loginHint=revoked%40contoso.example');
  });
});
