// The monitor run end to end on the real SDKs: Graph, Entra and Key Vault emulators, Azurite tables, the
// real token service for keep-alive and the delegated sender. Time moves through `run({ now })`.
import { afterEach, describe, expect, it } from 'vitest';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { createApp } from '#src/shared/runtime/app.js';
import { connectMailbox } from '../../support/connectMailbox.js';
import { recordingLogger } from '../../support/recordingLogger.js';
import { startTestStack, type TestStack, type TestStackOptions } from '../../support/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhookReceiver.js';

const SENDER = 'newsletter@contoso.onmicrosoft.com';
const SECRET_NAME = 'oauth-client-secret';
const HOUR_MS = 3_600_000;

const logger = recordingLogger();
const logLines = logger.lines;

let stack: TestStack | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await receiver?.close();
  receiver = undefined;
  logLines.length = 0;
});

async function start(
  settings: Record<string, string> = {},
  options: Omit<TestStackOptions, 'settings'> = {},
): Promise<TestStack> {
  stack = await startTestStack({
    ...options,
    settings: {
      ALERT_MAIL_AUTH: 'managed-identity',
      ALERT_SENDER: SENDER,
      ALERT_LOCALE: 'en',
      ROTATION_MODE: 'alert-only',
      ...settings,
    },
  });
  return stack;
}

function appPassword(s: TestStack) {
  const password = s.local.ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)?.passwordCredentials[0];
  if (!password) throw new Error('seeded password missing');
  return password;
}

function outboxSubjects(s: TestStack): string[] {
  return s.local.cloud.outbox().map((mail) => mail.message.subject ?? '');
}

describe('expiry monitor against the local cloud', () => {
  it('a secret created 24 months before expiry alerts once per threshold from 61 days to 0, once expired, and never after it is superseded', async () => {
    const s = await start();
    const password = appPassword(s);
    const created = new Date(password.startDateTime);
    const expiresAt = new Date(created.getTime() + 730 * 24 * HOUR_MS);
    s.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, password.keyId, expiresAt);
    const { monitor } = createApp(s.config, { ...s.overrides, logger, rotation: false }).monitor();
    // Daily runs an hour before the expiry's time of day: day 0 is still "expires today".
    const firstRun = new Date(addDays(expiresAt, -61).getTime() - HOUR_MS);
    for (let day = 0; day <= 62; day += 1) await monitor.run({ now: addDays(firstRun, day) });

    const subjects = outboxSubjects(s);
    expect(subjects).toHaveLength(8);
    for (const days of [60, 30, 14, 7, 3])
      expect(subjects.filter((subject) => subject.includes(`expires in ${days} days`))).toHaveLength(1);
    expect(subjects.filter((subject) => subject.includes('expires tomorrow'))).toHaveLength(1);
    expect(subjects.filter((subject) => subject.includes('expires today'))).toHaveLength(1);
    expect(subjects.filter((subject) => subject.includes('expired'))).toHaveLength(1);

    // A manual renewal: a newer password, stored in Key Vault as the one in use.
    const app = s.local.ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!;
    const added = await s.core.appDirectory.addPassword(app.id, {
      displayName: 'ActNow 2028',
      endDateTime: addDays(firstRun, 800).toISOString(),
    });
    await s.core.secretStore.setSecret(SECRET_NAME, added.secretText, {
      expiresOn: new Date(added.endDateTime),
      tags: { appId: KEYRELAY_APP_ID, keyId: added.keyId, managedBy: 'keyrelay' },
    });
    s.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, password.keyId, addDays(firstRun, 70));
    for (let day = 63; day <= 75; day += 1) await monitor.run({ now: addDays(firstRun, day) });
    expect(outboxSubjects(s)).toHaveLength(8);
    expect(s.local.cloud.outbox().every((mail) => mail.from === SENDER)).toBe(true);
  }, 120_000);

  it('two concurrent runs and a manual run on the same day send one digest, through the sender mailbox own delegated token', async () => {
    const s = await start({
      ALERT_MAIL_AUTH: 'connected-mailbox',
      ALERT_SENDER: 'mario.rossi@contoso.onmicrosoft.com',
    });
    await connectMailbox(s, 'mario.rossi@contoso.onmicrosoft.com');
    const password = appPassword(s);
    s.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, password.keyId, addDays(new Date(), 14));
    const a = createApp(s.config, { ...s.overrides, logger, rotation: false }).monitor().monitor;
    const b = createApp(s.config, { ...s.overrides, logger, rotation: false }).monitor().monitor;
    const runs = await Promise.all([a.run(), b.run()]);
    const manual = await a.run({ runId: 'manual' });
    expect([...runs, manual].filter((run) => run.digest !== undefined)).toHaveLength(1);
    const outbox = s.local.cloud.outbox();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.from).toBe('mario.rossi@contoso.onmicrosoft.com');
    expect(outbox[0]?.message.toRecipients?.[0]?.emailAddress.address).toBe('it-admin@contoso.example');
    expect(outbox[0]?.message.attachments?.[0]?.name).toMatch(/\.ics$/);
    expect(s.local.cloud.countRequests('graph', 'sendMail')).toBe(1);
  }, 60_000);

  it('sendMail failing with 5xx and then a 429 storm is retried on the next runs and sent once', async () => {
    const s = await start();
    s.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, appPassword(s).keyId, addDays(new Date(), 30));
    const { monitor } = createApp(s.config, { ...s.overrides, logger, rotation: false }).monitor();
    s.local.cloud.injectFault({ service: 'graph', route: 'sendMail', kind: 'status', status: 500 });
    const first = await monitor.run();
    expect(first.errors.some((code) => code.startsWith('mail_send_failed:500'))).toBe(true);
    s.local.cloud.injectFault({
      service: 'graph',
      route: 'sendMail',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 0,
      remaining: Infinity,
    });
    const second = await monitor.run();
    expect(second.errors.some((code) => code.startsWith('mail_send_failed:429'))).toBe(true);
    expect(s.local.cloud.outbox()).toHaveLength(0);
    s.local.cloud.clearFaults();
    const third = await monitor.run();
    await monitor.run();
    expect(third.digest?.channels).toEqual(['mail']);
    expect(s.local.cloud.outbox()).toHaveLength(1);
    const entry = (await s.core.alertLedger.list()).find((e) => e.threshold === '30');
    expect(entry?.state).toBe('sent');
    expect(entry?.attempts).toBe(3);
  }, 60_000);

  it('a failing webhook does not block the mail', async () => {
    const hook = (receiver = await startWebhookReceiver(500));
    const s = await start({ ALERT_WEBHOOK_URL: hook.url });
    s.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, appPassword(s).keyId, addDays(new Date(), 7));
    const result = await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    expect(hook.bodies).toHaveLength(1);
    expect(result.errors).toContain('webhook_failed:http_500');
    expect(result.digest?.channels).toEqual(['mail']);
    expect(s.local.cloud.outbox()).toHaveLength(1);
  }, 60_000);

  it('Graph 403 falls back to the Key Vault expiry and the alert names the missing permission', async () => {
    const s = await start();
    const app = s.local.ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!;
    // keyrelay's identity holds Application.ReadWrite.OwnedBy only: no longer an owner, it may not read the app.
    app.ownerObjectIds.splice(0);
    const current = await s.core.secretStore.getSecret(SECRET_NAME);
    await s.core.secretStore.setSecret(SECRET_NAME, current!.value, {
      expiresOn: addDays(new Date(), 3),
      tags: current!.tags,
    });
    const result = await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    expect(result.errors).toContain('graph_permission_missing');
    const [mail] = s.local.cloud.outbox();
    expect(mail?.message.subject).toContain('expires in 3 days');
    expect(mail?.message.body?.content).toContain('Application.Read.All');
  }, 60_000);

  it('an idle mailbox gets a keep-alive refresh after the urgent work; a revoked one becomes reconnect_required, its reconnect link in the next digest', async () => {
    const s = await start();
    const idle = await connectMailbox(s, 'mario.rossi@contoso.onmicrosoft.com');
    const revoked = await connectMailbox(s, 'giulia.bianchi@contoso.onmicrosoft.com');
    const tenDaysAgo = addDays(new Date(), -10);
    await s.core.mailboxRegistry.upsert({ ...idle.record, lastRefreshAt: tenDaysAgo });
    await s.core.mailboxRegistry.upsert({ ...revoked.record, lastRefreshAt: tenDaysAgo });
    s.local.cloud.revokeUser(revoked.upn);
    s.local.cloud.clearRequestLog();

    const result = await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    expect(result.counts.keepAlives).toBe(2);
    expect(s.local.cloud.countRequests('entra', 'token.refresh_token')).toBeGreaterThanOrEqual(2);
    const refreshed = await s.core.mailboxRegistry.get(idle.upn);
    expect(refreshed?.status).toBe('ok');
    expect(refreshed!.lastRefreshAt.getTime()).toBeGreaterThan(tenDaysAgo.getTime());
    const gone = await s.core.mailboxRegistry.get(revoked.upn);
    expect(gone?.status).toBe('reconnect_required');
    expect(gone?.lastErrorCode).toContain('50173');
    // Keep-alive runs after this run's digest: the next run carries the reconnect link.
    expect(s.local.cloud.outbox()).toHaveLength(0);
    await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    const [mail] = s.local.cloud.outbox();
    expect(mail?.message.body?.content).toContain(
      `${s.config.publicBaseUrl}/api/connect?loginHint=${encodeURIComponent(revoked.upn)}`,
    );
    // A later run does not repeat the reconnect alert.
    await createApp(s.config, { ...s.overrides, logger, rotation: false })
      .monitor()
      .monitor.run();
    expect(s.local.cloud.outbox()).toHaveLength(1);
  }, 60_000);

  it('records each run in the run report store and logs no secret', async () => {
    const s = await start({}, {});
    const { monitor } = createApp(s.config, { ...s.overrides, logger, rotation: false }).monitor();
    const result = await monitor.run();
    const [report] = await s.core.runReports.latest(1);
    expect(report?.runId).toBe(result.runId);
    expect(report?.finishedAt).toBeInstanceOf(Date);
    expect(report?.counts.credentials).toBeGreaterThanOrEqual(2);
    expect(logLines.join('\n')).not.toContain(s.local.clientSecret);
  }, 60_000);
});
