// A monitor run with ROTATION_MODE=auto on the real SDKs and the local cloud, the rotation service wired in
// as the instance wires it: the client secret 20 days from expiry (lead 30) is added, staged, verified and
// switched within the run — with Graph's clock a little ahead of ours, as Microsoft's may be — and the
// run's digest announces the renewal instead of alerting for the secret it replaced. Also: how many times
// a run reads the app registration from Graph (issue 10, P6).
import { afterEach, describe, expect, it } from 'vitest';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import { credentialIds } from '#src/shared/domain/monitor/credentials.js';
import { addDays, START_CLOCK_SKEW_MS } from '#src/shared/domain/monitor/expiryPolicy.js';
import { formatDate } from '#src/shared/presentation/time.js';
import { formatLogLine, type Logger } from '#src/shared/logger.js';
import { createApp } from '#src/shared/runtime/app.js';
import { stagingSecretName } from '#src/shared/services/rotation/rotationService.js';
import { gate, withHooks } from '../../support/callHooks.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

const SENDER = 'newsletter@contoso.onmicrosoft.com';

const logLines: string[] = [];
const logger: Logger = {
  info: (event, properties) => logLines.push(formatLogLine(event, properties)),
  warn: (event, properties) => logLines.push(formatLogLine(event, properties)),
  error: (event, properties) => logLines.push(formatLogLine(event, properties)),
};

let stack: TestStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  logLines.length = 0;
});

async function startAutoRotation(): Promise<TestStack> {
  stack = await startTestStack({
    cloud: { initialSecretEndDateTime: addDays(new Date(), 20) },
    settings: {
      ALERT_MAIL_AUTH: 'managed-identity',
      ALERT_SENDER: SENDER,
      ALERT_LOCALE: 'it',
      ROTATION_MODE: 'auto',
      ROTATION_LEAD_DAYS: '30',
      ROTATION_OVERLAP_DAYS: '7',
    },
  });
  return stack;
}

function features(s: TestStack) {
  return createApp(s.config, { ...s.overrides, logger }).monitor();
}

function appReads(s: TestStack): number {
  return s.local.ctx.requestLog.filter((entry) => entry.service === 'graph' && entry.route === 'applications.get')
    .length;
}

function visibleText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
}

describe('a monitor run that rotates the client secret', () => {
  it('sends no alert for the replaced secret and announces the renewal, even with Graph a little ahead of our clock', async () => {
    const s = await startAutoRotation();
    const oldKeyId = s.local.clientSecretKeyId;
    const oldPassword = s.local.ctx.applications.find((app) => app.appId === KEYRELAY_APP_ID)!.passwordCredentials[0]!;
    // Graph stamps the new password's startDateTime with its own clock.
    s.local.cloud.setClockOffset(START_CLOCK_SKEW_MS / 2);
    const { monitor, status } = features(s);

    const result = await monitor.run();

    expect(result.errors).toEqual([]);
    expect(result.counts.alertsDue).toBe(0);
    const record = (await s.core.rotationStore.get(KEYRELAY_APP_ID))?.record;
    expect(record?.step).toBe('switched');
    const zone = { locale: s.config.alertLocale, timeZone: s.config.alertTimeZone };
    const formatDigestDate = (date: Date) => formatDate(date, zone);
    const renewedOn = formatDigestDate(record!.stepTimestamps.switched!);
    // The app registration is itself named keyrelay: the subject names it once.
    expect(result.digest?.subject).toBe(
      `[keyrelay] segreto client rinnovato il ${renewedOn}, nessuna azione richiesta`,
    );
    const outbox = s.local.cloud.outbox();
    expect(outbox).toHaveLength(1);
    // The renewal mail carries the new secret's end as a calendar event (docs/demo.md).
    const ics = outbox[0]?.message.attachments?.find((attachment) => attachment.name?.endsWith('.ics'));
    const event = Buffer.from(ics?.contentBytes ?? '', 'base64').toString('utf8');
    expect(event).toContain(
      `DTSTART;VALUE=DATE:${new Intl.DateTimeFormat('en-CA', { timeZone: zone.timeZone }).format(record!.newEndDateTime).replace(/-/g, '')}`,
    );
    const body = visibleText(outbox[0]?.message.body?.content ?? '');
    expect(body).toContain(
      `keyrelay ha rinnovato il segreto client il ${renewedOn}: il nuovo segreto vale fino al ${formatDigestDate(record!.newEndDateTime!)} ed è già in uso.`,
    );
    expect(body).toContain(
      `keyrelay rimuoverà il vecchio segreto (in scadenza il ${formatDigestDate(new Date(oldPassword.endDateTime))}) dal ${formatDigestDate(record!.removeAfter!)} in poi.`,
    );
    expect(body).not.toContain('ROTATION_MODE');
    expect(body).not.toContain('scade tra 20 giorni');
    const ledgerIds = (await s.core.alertLedger.list()).map((entry) => entry.credentialId);
    expect(ledgerIds).not.toContain(credentialIds.appPassword(KEYRELAY_APP_ID, oldKeyId));

    // The status page agrees: the replaced secret is superseded, the new one in use.
    const report = await status.getStatus();
    expect(report.credentials.find((c) => c.id === credentialIds.appPassword(KEYRELAY_APP_ID, oldKeyId))?.status).toBe(
      'superseded',
    );
    expect(
      report.credentials.find((c) => c.id === credentialIds.appPassword(KEYRELAY_APP_ID, record!.newKeyId!)),
    ).toMatchObject({ inUse: true, status: 'ok' });

    // The next run has nothing new to say.
    await monitor.run();
    expect(s.local.cloud.outbox()).toHaveLength(1);
    expect(logLines.join('\n')).not.toContain(s.local.clientSecret);
  }, 60_000);

  it('reads the app registration once per steady-state run, and once more only in the run whose rotation changed the passwords', async () => {
    const s = await startAutoRotation();
    const { monitor } = features(s);
    s.local.cloud.clearRequestLog();
    const rotating = await monitor.run();
    expect(rotating.counts.rotationSteps).toBeGreaterThan(0);
    expect(s.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(1);
    expect(appReads(s)).toBe(2);

    for (let run = 0; run < 2; run += 1) {
      s.local.cloud.clearRequestLog();
      const steady = await monitor.run();
      expect(steady.errors).toEqual([]);
      expect(appReads(s)).toBe(1);
    }
  }, 60_000);

  it('a rotation step failing with a Key Vault 403 is reported as rotation failed in the digest and the run report, once', async () => {
    const s = await startAutoRotation();
    const { monitor } = features(s);
    // keyrelay's identity may read Key Vault but not write it: the staging write of the new secret is refused.
    s.local.cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.set',
      kind: 'status',
      status: 403,
      remaining: Infinity,
    });

    const first = await monitor.run();
    expect(first.errors).toContain('rotation_step_failed:keyvault_403');
    expect((await s.core.runReports.latest(1))[0]?.errors).toContain('rotation_step_failed:keyvault_403');
    const outbox = s.local.cloud.outbox();
    expect(outbox).toHaveLength(1);
    const body = visibleText(outbox[0]?.message.body?.content ?? '');
    expect(body).toMatch(
      /Il rinnovo automatico non è riuscito: un passo del rinnovo non è riuscito \(codice errore\s+keyvault_403\s*\)/,
    );
    expect(body).not.toContain('rinnoverà automaticamente');

    // The next day the same step fails again: in the run report, not mailed a second time.
    const next = await monitor.run({ now: addDays(new Date(), 1) });
    expect(next.errors).toContain('rotation_step_failed:keyvault_403');
    expect(s.local.cloud.outbox()).toHaveLength(1);
    expect(logLines.join('\n')).not.toContain(s.local.clientSecret);
  }, 60_000);

  it('two instances on rotation day: the one holding the rotation reports it, the other says only that and mails nothing stale', async () => {
    const s = await startAutoRotation();
    // Instance A is held just before it stages the new secret (its lease taken, its password added).
    const aStaging = gate();
    const secretStoreA = withHooks(s.core.secretStore, 'setSecret', {
      before: ([name]) => (name === stagingSecretName(s.config.oauthClientSecretName) ? aStaging.hold() : undefined),
    });
    const monitorA = createApp(s.config, {
      ...s.overrides,
      logger,
      core: (core) => ({ ...core, secretStore: secretStoreA }),
    }).monitor().monitor;
    const runA = monitorA.run();
    await aStaging.reached;

    const b = await features(s).monitor.run();
    expect(b.errors).toEqual([]);
    expect(b.counts.rotationByAnotherInstance).toBe(1);
    expect(b.digest).toBeUndefined();
    expect(s.local.cloud.outbox()).toHaveLength(0);

    aStaging.release();
    const a = await runA;
    expect(a.errors).toEqual([]);
    expect((await s.core.rotationStore.get(KEYRELAY_APP_ID))?.record.step).toBe('switched');
    const outbox = s.local.cloud.outbox();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.message.subject).toContain('segreto client rinnovato');
    expect(visibleText(outbox[0]?.message.body?.content ?? '')).not.toContain('scade tra 20 giorni');
    const reports = await s.core.runReports.latest(2);
    expect(reports.map((report) => report.counts.rotationByAnotherInstance ?? 0).sort()).toEqual([0, 1]);
  }, 60_000);
});
