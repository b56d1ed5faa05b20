// The monitor run on the in-memory ports (tests/fakes) with an injected clock: alerts once per threshold,
// one digest per day under concurrency, retries after a failed send, Graph 403 fallback, keep-alive.
import { describe, expect, it } from 'vitest';
import {
  type AppRegistration,
  type AppRegistrationDirectory,
  GraphRequestError,
  type MailboxRecord,
  type OutgoingMail,
} from '#src/shared/ports/index.js';

import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import type { Logger } from '#src/shared/logger.js';
import { createMonitorService, type MonitorDependencies } from '#src/shared/services/monitor/monitorService.js';
import { createRegistryRebuild } from '#src/shared/services/mailboxes/registryRebuild.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import type { MailboxKeepAlive } from '#src/shared/ports/index.js';
import type { RotationAdvancer, RotationEventKind, RotationOutcome } from '#src/shared/ports/rotationOutcome.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
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

/** What a rotation run reports, with the fields a test does not care about at their idle values. */
function outcome(fields: Partial<RotationOutcome>): RotationOutcome {
  return { appId: APP_ID, step: 'idle', events: [], history: [], ...fields };
}

const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

class FakeDirectory implements Pick<AppRegistrationDirectory, 'getApplication'> {
  failure: GraphRequestError | undefined;
  reads = 0;
  constructor(readonly app: AppRegistration) {}
  getApplication(): Promise<AppRegistration> {
    this.reads += 1;
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
  const clock = {
    current: START,
    now() {
      return this.current;
    },
  };
  const directory = new FakeDirectory({
    id: 'object-id',
    appId: APP_ID,
    displayName: 'ActNow',
    passwordCredentials: [
      {
        keyId: KEY_ID,
        displayName: 'ActNow',
        hint: 'abc',
        startDateTime: addDays(secretExpiresAt, -730).toISOString(),
        endDateTime: secretExpiresAt.toISOString(),
      },
    ],
    keyCredentials: [],
  });
  const secrets = new InMemorySecretStore(clock);
  await secrets.setSecret(SECRET_NAME, 'abc-secret-text', {
    expiresOn: secretExpiresAt,
    tags: { appId: APP_ID, keyId: KEY_ID, managedBy: 'keyrelay' },
  });
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
        alertTimeZone: 'Europe/Rome',
        oauthClientCredential: 'secret',
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
    w.directory.app.passwordCredentials.push({
      keyId: newKeyId,
      displayName: 'ActNow 2',
      hint: 'xyz',
      startDateTime: START.toISOString(),
      endDateTime: addDays(START, 730).toISOString(),
    });
    await w.secrets.setSecret(SECRET_NAME, 'xyz-new-secret', {
      expiresOn: addDays(START, 730),
      tags: { appId: APP_ID, keyId: newKeyId },
    });
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
    const result = await createMonitorService({
      ...withoutMailer,
      config: { ...deps.config, alertRecipients: [] },
    }).run();
    expect(result.errors).toContain('alerts_not_configured');
    expect((await w.ledger.list()).every((entry) => entry.state !== 'sent')).toBe(true);
    expect((await w.runs.latest(1))[0]?.errors).toContain('alerts_not_configured');
  });

  it('refreshes mailboxes idle for more than a week after the digest; the next digest carries the reconnect link of a revoked one', async () => {
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
    expect(result.counts.keepAlives).toBe(2);
    expect(w.mailer.sent).toHaveLength(0);
    const next = await createMonitorService(w.deps({ keepAlive })).run({ now: addDays(START, 1) });
    expect(next.counts.reconnectRequired).toBe(1);
    expect(w.mailer.sent[0]?.html).toContain(
      'https://keyrelay.example/api/connect?loginHint=revoked%40contoso.example',
    );
  });

  it('does the urgent work first: the rotation and the digest happen before any keep-alive', async () => {
    const w = await world(addDays(START, 20));
    await w.registry.upsert(mailbox('idle@contoso.example', addDays(START, -8)));
    const order: string[] = [];
    const keepAlive: MailboxKeepAlive = { keepAlive: () => (order.push('keep-alive'), Promise.resolve('refreshed')) };
    const rotation: RotationAdvancer = {
      advance: () => (order.push('rotation'), Promise.resolve(outcome({ events: [] }))),
    };
    const mailer = { send: (mail: OutgoingMail) => (order.push('digest'), w.mailer.send(mail)) };
    const deps = w.deps({ keepAlive, rotation, mailer });
    await createMonitorService({ ...deps, config: { ...deps.config, rotationMode: 'auto' } }).run();
    expect(order).toEqual(['rotation', 'digest', 'keep-alive']);
  });

  it('keeps idle grants alive oldest first, a few at a time, and carries what the budget cannot fit to the next run', async () => {
    const w = await world(addDays(START, 400));
    for (let index = 0; index < 30; index++) {
      await w.registry.upsert(
        mailbox(`m${String(index).padStart(2, '0')}@contoso.example`, addDays(START, -8 - index)),
      );
    }
    const started: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    // Each refresh takes one minute of the run's clock; the budget is 20 minutes less a 2-minute margin.
    const keepAlive: MailboxKeepAlive = {
      keepAlive: async (upn) => {
        started.push(upn);
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await Promise.resolve();
        w.clock.current = new Date(w.clock.current.getTime() + 60_000);
        inFlight -= 1;
        return 'refreshed';
      },
    };
    const deps = w.deps({
      keepAlive,
      keepAliveConcurrency: 4,
      budget: { timeoutMs: 20 * 60_000, marginMs: 2 * 60_000 },
    });
    const first = await createMonitorService(deps).run();
    expect(mostInFlight).toBeLessThanOrEqual(4);
    expect(started[0]).toBe('m29@contoso.example');
    expect(first.counts.keepAlives).toBeGreaterThan(0);
    expect(first.counts.keepAlives! + first.counts.keepAliveCarriedOver!).toBe(30);
    expect(first.errors).toEqual([]);
    // Refreshed grants are no longer idle in the registry; the next run takes the rest.
    for (const upn of started) await w.registry.recordRefresh(upn, w.clock.now());
    const second = await createMonitorService(deps).run({ now: w.clock.now() });
    expect(second.counts.keepAlives).toBe(first.counts.keepAliveCarriedOver);
    expect(second.counts.keepAliveCarriedOver).toBeUndefined();
    expect(new Set(started).size).toBe(30);
  });

  it('a keep-alive that fails transiently is counted and retried next run, never turned into reconnect_required', async () => {
    const w = await world(addDays(START, 400));
    await w.registry.upsert(mailbox('flaky@contoso.example', addDays(START, -8)));
    const keepAlive: MailboxKeepAlive = {
      keepAlive: () => Promise.reject(new GraphRequestError({ status: 503, code: 'ServiceUnavailable' })),
    };
    const result = await createMonitorService(w.deps({ keepAlive })).run();
    expect(result.counts.keepAliveFailed).toBe(1);
    expect(result.errors).toEqual(['keep_alive_failed:503:ServiceUnavailable']);
    expect((await w.registry.get('flaky@contoso.example'))?.status).toBe('ok');
  });

  it('an unreadable alert-ledger row skips its own alert with its key in the report; the other alerts are mailed', async () => {
    const w = await world(addDays(START, 29));
    await w.secrets.setSecret('other-secret', 'value', { expiresOn: addDays(START, 6) });
    const ledger = w.ledger;
    const brokenLedger: typeof ledger = Object.assign(Object.create(ledger) as typeof ledger, {
      claim: (credentialId: string, threshold: string, runId: string, now: Date) =>
        credentialId.includes('other-secret')
          ? Promise.reject(new Error('alert row has unknown state sennt'))
          : ledger.claim(credentialId, threshold, runId, now),
    });
    const result = await createMonitorService(w.deps({ alertLedger: brokenLedger })).run();
    expect(result.counts.ledgerRowsSkipped).toBe(1);
    expect(result.errors).toEqual([expect.stringMatching(/^ledger_row_skipped:kv:other-secret\|7@2026-03-07:Error$/)]);
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]?.subject).toContain('expires in 29 days');
  });

  it('alerts for a password keyrelay does not use as an old or unused one, never in terms of ROTATION_MODE', async () => {
    // The secret in use is itself too close to expiry to silence an older password.
    const w = await world(addDays(START, 50));
    w.directory.app.passwordCredentials.push({
      keyId: 'unused-key',
      displayName: 'old test secret',
      hint: 'old',
      startDateTime: addDays(START, -700).toISOString(),
      endDateTime: addDays(START, 30).toISOString(),
    });
    const rotation: RotationAdvancer = {
      advance: () =>
        Promise.resolve(outcome({ events: [{ kind: 'waiting', at: START }], plannedFor: addDays(START, 20) })),
    };
    const auto = w.deps({ rotation });
    await createMonitorService({ ...auto, config: { ...auto.config, rotationMode: 'auto' } }).run({ now: START });
    await createMonitorService(w.deps()).run({ now: addDays(START, 16) });
    // The subject names what needs action: the secret in use (keyrelay renews it) leads, the unused one never does.
    expect(w.mailer.sent.map((mail) => mail.subject)).toEqual([
      '[keyrelay] ActNow: client secret "ActNow" expires in 50 days (20 April 2026), nothing to do',
      '[keyrelay] ActNow: nothing to do',
    ]);
    for (const mail of w.mailer.sent) {
      expect(mail.html).toContain(
        'Client secret &quot;old test secret&quot; (expires on 31 March 2026): keyrelay does not use it and does not touch it, no impact on keyrelay.',
      );
      expect(mail.html).not.toContain('ROTATION_MODE');
    }
    // The second digest holds only the unused password: nothing to renew, so no manual renewal steps.
    expect(w.mailer.sent[1]?.html).not.toContain('What you need to do');
  });

  it('says alert-only only in alert-only mode: in auto mode a secret whose use is unknown is explained as such', async () => {
    const w = await world(addDays(START, 30));
    // A hand-stored secret without the keyId tag whose first characters match no password: use unknown.
    await w.secrets.setSecret(SECRET_NAME, 'zzz-secret-text', { expiresOn: addDays(START, 30), tags: {} });
    const rotation: RotationAdvancer = {
      advance: () =>
        Promise.resolve(
          outcome({
            events: [{ kind: 'blocked', at: START, reason: 'in_use_unknown' }],
            blockedReason: 'in_use_unknown',
          }),
        ),
    };
    const base = w.deps({ rotation });
    await createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } }).run();
    const [mail] = w.mailer.sent;
    expect(mail?.html).toContain('keyrelay cannot tell which client secret it uses, so it cannot renew it by itself');
    expect(mail?.html).not.toContain('ROTATION_MODE=alert-only');
    expect(mail?.html).toContain('What you need to do');
  });

  it('reads the app once per run and hands it to the rotation; reads it again only after the rotation changed the passwords', async () => {
    const w = await world(addDays(START, 400));
    const given: Array<AppRegistration | undefined> = [];
    let next = outcome({ events: [{ kind: 'waiting', at: START }] });
    const rotation: RotationAdvancer = {
      advance: ({ app }) => {
        given.push(app);
        return Promise.resolve(next);
      },
    };
    const base = w.deps({ rotation });
    const monitor = createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } });
    await monitor.run({ now: START });
    expect(w.directory.reads).toBe(1);
    expect(given[0]?.appId).toBe(APP_ID);
    for (const kind of ['added', 'orphan_removed', 'old_removed', 'rolled_back'] as const) {
      next = outcome({ events: [{ kind, at: START }] });
      const before = w.directory.reads;
      await monitor.run({ now: START });
      expect(w.directory.reads - before, kind).toBe(2);
    }
    // Without ROTATION_MODE=auto the rotation is not called and discovery uses the one read.
    await createMonitorService(w.deps({ rotation })).run({ now: START });
    expect(given).toHaveLength(5);
    expect(w.directory.reads).toBe(10);
  });

  it('a run whose rotation switched to a new secret announces the renewal instead of alerting for the old one', async () => {
    const oldExpiresAt = addDays(START, 20);
    const w = await world(oldExpiresAt);
    const newKeyId = 'cccccccc-0000-4000-8000-000000000003';
    const record: RotationRecord = {
      rotationId: 'rot-1',
      appId: APP_ID,
      step: 'switched',
      oldKeyId: KEY_ID,
      newKeyId,
      newEndDateTime: addDays(START, 730),
      startedAt: START,
      stepTimestamps: { planned: START, added: START, stored: START, verified: START, switched: START },
      verifyAttempts: 1,
      removeAfter: addDays(START, 7),
    };
    const rotation: RotationAdvancer = {
      async advance() {
        // What a real rotation leaves behind: the new password (Graph's clock a minute ahead) now in use.
        w.directory.app.passwordCredentials.push({
          keyId: newKeyId,
          displayName: 'keyrelay rotation rot-1',
          hint: 'new',
          startDateTime: new Date(START.getTime() + 60_000).toISOString(),
          endDateTime: addDays(START, 730).toISOString(),
        });
        await w.secrets.setSecret(SECRET_NAME, 'new-secret-text', {
          expiresOn: addDays(START, 730),
          tags: { appId: APP_ID, keyId: newKeyId, managedBy: 'keyrelay' },
        });
        const kinds: RotationEventKind[] = ['started', 'added', 'stored', 'verified', 'switched', 'waiting'];
        return outcome({ rotationId: 'rot-1', events: kinds.map((kind) => ({ kind, at: START })), history: [record] });
      },
    };
    const base = w.deps({ rotation });
    const result = await createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } }).run({
      now: START,
    });
    expect(result.counts.alertsDue).toBe(0);
    expect(w.mailer.sent).toHaveLength(1);
    const [mail] = w.mailer.sent;
    expect(mail?.subject).toBe('[keyrelay] ActNow: client secret renewed on 1 March 2026, nothing to do');
    expect(mail?.html).toContain(
      'keyrelay renewed the client secret on 1 March 2026: the new secret is valid until 29 February 2028 and already in use. keyrelay will remove the old secret (expiring on 21 March 2026) on or after 8 March 2026. Nothing to do.',
    );
    expect(mail?.html).not.toContain('expires in 20 days');
    expect(mail?.html).not.toContain('ROTATION_MODE');
    expect((await w.ledger.list()).map((entry) => entry.credentialId)).not.toContain(
      `app:${APP_ID}:password:${KEY_ID}`,
    );
  });

  it('a rotation step failing with a Key Vault 403 is reported as rotation failed in the digest and the run report, once', async () => {
    const w = await world(addDays(START, 30));
    // What the rotation reports every day while Key Vault refuses the staging write: a password added, the run stopped.
    const stuckAt: RotationRecord = {
      rotationId: 'rot-kv',
      appId: APP_ID,
      step: 'added',
      oldKeyId: KEY_ID,
      newKeyId: 'dddddddd-0000-4000-8000-000000000004',
      startedAt: START,
      stepTimestamps: { planned: START, added: START },
      verifyAttempts: 0,
      lastError: 'keyvault_403',
    };
    const rotation: RotationAdvancer = {
      advance: ({ now }) => {
        const record = { ...stuckAt, stepTimestamps: { planned: now, added: now } };
        return Promise.resolve(
          outcome({
            rotationId: 'rot-kv',
            step: 'added',
            events: [
              { kind: 'orphan_removed', at: now },
              { kind: 'added', at: now },
            ],
            lastError: 'keyvault_403',
            history: [record],
          }),
        );
      },
    };
    const base = w.deps({ rotation });
    const monitor = createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } });
    const first = await monitor.run();
    expect(first.errors).toContain('rotation_step_failed:keyvault_403');
    expect((await w.runs.latest(1))[0]?.errors).toContain('rotation_step_failed:keyvault_403');
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]?.html).toMatch(
      /Automatic renewal failed: a renewal step failed \(error code <code[^>]*>keyvault_403<\/code>\)/,
    );
    expect(w.mailer.sent[0]?.html).not.toContain('renew it automatically');
    // The same failure the next days: in every run report, mailed once.
    for (const day of [1, 2]) {
      w.clock.current = addDays(START, day);
      expect((await monitor.run()).errors).toContain('rotation_step_failed:keyvault_403');
    }
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('a rotation failure is mailed on a day no threshold is crossed', async () => {
    const w = await world(addDays(START, 25));
    let progress = outcome({ events: [{ kind: 'waiting', at: START }], plannedFor: START });
    const rotation: RotationAdvancer = { advance: () => Promise.resolve(progress) };
    const base = w.deps({ rotation });
    const monitor = createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } });
    await monitor.run();
    expect(w.mailer.sent).toHaveLength(1);
    w.clock.current = addDays(START, 1);
    progress = outcome({
      rotationId: 'rot-2',
      step: 'planned',
      events: [{ kind: 'started', at: w.clock.current }],
      lastError: 'graph_503',
    });
    const failed = await monitor.run();
    expect(failed.errors).toContain('rotation_step_failed:graph_503');
    expect(w.mailer.sent).toHaveLength(2);
    expect(w.mailer.sent[1]?.html).toMatch(
      /Automatic renewal failed: a renewal step failed \(error code <code[^>]*>graph_503<\/code>\)/,
    );
  });

  it('a rotation stuck in one step for more than a day is reported as rotation failed', async () => {
    const w = await world(addDays(START, 30));
    const twoDaysAgo = addDays(START, -2);
    const record: RotationRecord = {
      rotationId: 'rot-3',
      appId: APP_ID,
      step: 'stored',
      oldKeyId: KEY_ID,
      newKeyId: 'eeeeeeee-0000-4000-8000-000000000005',
      startedAt: twoDaysAgo,
      stepTimestamps: { planned: twoDaysAgo, added: twoDaysAgo, stored: twoDaysAgo },
      verifyAttempts: 0,
    };
    const rotation: RotationAdvancer = {
      advance: () => Promise.resolve(outcome({ rotationId: 'rot-3', step: 'stored', events: [], history: [record] })),
    };
    const base = w.deps({ rotation });
    const result = await createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } }).run();
    expect(result.errors).toContain('rotation_stuck:stored');
    expect(w.mailer.sent[0]?.html).toContain('Automatic renewal failed');
    expect(w.mailer.sent[0]?.html).not.toContain('renew it automatically');
  });

  it('another run advancing the rotation at the same time is not reported as a failure', async () => {
    const w = await world(addDays(START, 30));
    const rotation: RotationAdvancer = {
      advance: () =>
        Promise.resolve(outcome({ rotationId: 'rot-4', step: 'added', events: [], lastError: 'concurrent_run' })),
    };
    const base = w.deps({ rotation });
    const result = await createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } }).run();
    expect(result.errors).toEqual([]);
    expect(w.mailer.sent[0]?.html).not.toContain('Automatic renewal failed');
  });

  it('mail failing while the webhook succeeds leaves the alert unsent and retried next run', async () => {
    const w = await world(addDays(START, 30));
    const payloads: unknown[] = [];
    const webhook = {
      notify: (payload: unknown) => {
        payloads.push(payload);
        return Promise.resolve();
      },
    };
    const monitor = createMonitorService(w.deps({ webhook }));
    w.mailer.failuresLeft = 1;
    const failed = await monitor.run();
    expect(failed.errors).toContain('mail_send_failed:503:ServiceUnavailable');
    expect(failed.digest).toBeUndefined();
    expect((await w.ledger.list()).find((e) => e.threshold === '30')?.state).toBe('released');
    const retried = await monitor.run();
    expect(retried.digest?.channels).toEqual(['mail', 'webhook']);
    expect(w.mailer.sent).toHaveLength(1);
    expect((await w.ledger.list()).find((e) => e.threshold === '30')?.state).toBe('sent');
  });

  it('with no mailer configured, the webhook alone delivers the alerts', async () => {
    const w = await world(addDays(START, 30));
    const webhook = { notify: () => Promise.resolve() };
    const { mailer: _mailer, ...withoutMailer } = w.deps({ webhook });
    const result = await createMonitorService(withoutMailer).run();
    expect(result.digest?.channels).toEqual(['webhook']);
    expect((await w.ledger.list()).find((e) => e.threshold === '30')?.state).toBe('sent');
  });

  it('a renewed Key Vault secret alerts again at the thresholds of its new expiry', async () => {
    const w = await world(addDays(START, 2000));
    await w.secrets.setSecret('partner-api-key', 'first-value', { expiresOn: addDays(START, 10) });
    const monitor = createMonitorService(w.deps());
    await monitor.run();
    expect(w.mailer.sent.at(-1)?.subject).toContain('Key Vault secret "partner-api-key" expires in 10 days');
    // Renewed by hand: a new version with a later expiry, which in turn comes close.
    await w.secrets.setSecret('partner-api-key', 'second-value', { expiresOn: addDays(START, 400) });
    w.clock.current = addDays(START, 390);
    await monitor.run();
    expect(w.mailer.sent.at(-1)?.subject).toContain('Key Vault secret "partner-api-key" expires in 10 days');
    w.clock.current = addDays(START, 401);
    await monitor.run();
    expect(w.mailer.sent.at(-1)?.subject).toContain('Key Vault secret "partner-api-key" expired 1 day ago');
    expect(w.mailer.sent).toHaveLength(3);
  });

  it('a mailbox grant that lapses a second time alerts again', async () => {
    const w = await world(addDays(START, 2000));
    // Idle for 30 days: 60 days left before Microsoft 365 drops the refresh token (no keep-alive wired here).
    await w.registry.upsert(mailbox('idle@contoso.example', addDays(START, -30)));
    const monitor = createMonitorService(w.deps());
    await monitor.run();
    expect(w.mailer.sent.at(-1)?.subject).toContain('mailbox access "idle@contoso.example" expires in 60 days');
    // Used again, then idle again for 30 days.
    await w.registry.upsert(mailbox('idle@contoso.example', addDays(START, 20)));
    w.clock.current = addDays(START, 50);
    await monitor.run();
    expect(w.mailer.sent.at(-1)?.subject).toContain('mailbox access "idle@contoso.example" expires in 60 days');
    expect(w.mailer.sent).toHaveLength(2);
  });

  it('a Key Vault read failure while identifying the secret in use is reported in the run errors', async () => {
    const w = await world(addDays(START, 400));
    // A hand-stored secret without the keyId tag: only its value tells which password it is.
    await w.secrets.setSecret(SECRET_NAME, 'abc-secret-text', { expiresOn: addDays(START, 400), tags: {} });
    w.secrets.getSecret = () => Promise.reject(Object.assign(new Error('forbidden'), { statusCode: 403 }));
    const result = await createMonitorService(w.deps()).run();
    expect(result.errors).toContain('client_secret_unreadable');
  });

  it("the renewal is announced by a later run when the switching run's digest failed", async () => {
    const w = await world(addDays(START, 20));
    const newKeyId = 'ffffffff-0000-4000-8000-000000000006';
    const record: RotationRecord = {
      rotationId: 'rot-5',
      appId: APP_ID,
      step: 'switched',
      oldKeyId: KEY_ID,
      newKeyId,
      newEndDateTime: addDays(START, 730),
      startedAt: START,
      stepTimestamps: { planned: START, added: START, stored: START, verified: START, switched: START },
      verifyAttempts: 1,
      removeAfter: addDays(START, 7),
    };
    const kinds: RotationEventKind[] = ['started', 'added', 'stored', 'verified', 'switched'];
    let progress = outcome({
      rotationId: 'rot-5',
      step: 'switched',
      events: kinds.map((kind) => ({ kind, at: START })),
      history: [record],
    });
    const rotation: RotationAdvancer = {
      async advance() {
        if (!w.directory.app.passwordCredentials.some((p) => p.keyId === newKeyId)) {
          w.directory.app.passwordCredentials.push({
            keyId: newKeyId,
            displayName: 'keyrelay rotation rot-5',
            hint: 'new',
            startDateTime: START.toISOString(),
            endDateTime: addDays(START, 730).toISOString(),
          });
          await w.secrets.setSecret(SECRET_NAME, 'new-secret-text', {
            expiresOn: addDays(START, 730),
            tags: { appId: APP_ID, keyId: newKeyId, managedBy: 'keyrelay' },
          });
        }
        return progress;
      },
    };
    const base = w.deps({ rotation });
    const monitor = createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } });
    w.mailer.failuresLeft = 1;
    await monitor.run();
    expect(w.mailer.sent).toHaveLength(0);
    w.clock.current = addDays(START, 1);
    progress = outcome({
      rotationId: 'rot-5',
      step: 'switched',
      events: [{ kind: 'waiting', at: w.clock.current }],
      history: [record],
    });
    await monitor.run();
    expect(w.mailer.sent.map((mail) => mail.subject)).toEqual([
      '[keyrelay] ActNow: client secret renewed on 1 March 2026, nothing to do',
    ]);
    w.clock.current = addDays(START, 2);
    await monitor.run();
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('claims are stamped with the time of the claim: a run slowed by a long rotation keeps its alerts from a run started meanwhile', async () => {
    const w = await world(addDays(START, 30));
    const rotationMinutes = 20;
    // The rotation (keep-alives, verify retries) takes 20 minutes before the slow run claims its alerts.
    const rotation: RotationAdvancer = {
      advance: () => {
        w.clock.current = new Date(w.clock.current.getTime() + rotationMinutes * 60_000);
        return Promise.resolve(outcome({ events: [{ kind: 'waiting', at: w.clock.current }] }));
      },
    };
    let mailing!: () => void;
    const mailStarted = new Promise<void>((resolve) => (mailing = resolve));
    let deliverMail!: () => void;
    const mailAccepted = new Promise<void>((resolve) => (deliverMail = resolve));
    const slowMails: OutgoingMail[] = [];
    const slowMailer = {
      async send(mail: OutgoingMail) {
        mailing();
        await mailAccepted;
        slowMails.push(mail);
      },
    };
    const base = w.deps({ rotation, mailer: slowMailer });
    const slowRun = createMonitorService({ ...base, config: { ...base.config, rotationMode: 'auto' } }).run();
    await mailStarted;
    const claimedAt = new Date(START.getTime() + rotationMinutes * 60_000);
    expect((await w.ledger.list()).find((e) => e.threshold === '30')?.claimedAt).toEqual(claimedAt);
    // Ten minutes after the claims (30 after the slow run started) a second run starts.
    w.clock.current = new Date(claimedAt.getTime() + 10 * 60_000);
    const concurrent = await createMonitorService(w.deps()).run();
    deliverMail();
    await slowRun;
    expect(concurrent.digest).toBeUndefined();
    expect(slowMails.length + w.mailer.sent.length).toBe(1);
    expect((await w.ledger.list()).find((e) => e.threshold === '30')?.sentAt).toEqual(w.clock.current);
  });

  it('a Key Vault listing that fails part-way keeps and alerts on what it read, and names the gap in the report', async () => {
    const w = await world(addDays(START, 400));
    await w.secrets.setSecret('a-expiring', 'value', { expiresOn: addDays(START, 5) });
    await w.secrets.setSecret('z-unread', 'value', { expiresOn: addDays(START, 6) });
    const secrets = w.secrets;
    const throttledMidway: typeof secrets = Object.assign(Object.create(secrets) as typeof secrets, {
      async *listSecretProperties() {
        for await (const summary of secrets.listSecretProperties()) {
          if (summary.name === 'z-unread') throw Object.assign(new Error('throttled'), { statusCode: 429 });
          yield summary;
        }
      },
    });
    const result = await createMonitorService(w.deps({ secretStore: throttledMidway })).run();
    expect(result.errors).toContain('key_vault_listing_incomplete:429');
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]?.html).toContain('a-expiring');
    expect(w.mailer.sent[0]?.html).toContain('What keyrelay could not check this time');
    expect(w.mailer.sent[0]?.html).toContain('the Key Vault secret listing broke off (throttling or an outage)');
  });

  it('unreadable mailbox rows are skipped and counted; the readable mailboxes are still kept alive and the run says what it missed', async () => {
    const w = await world(addDays(START, 29));
    await w.registry.upsert(mailbox('idle@contoso.example', addDays(START, -8)));
    const registry = w.registry;
    const withBrokenRows: typeof registry = Object.assign(Object.create(registry) as typeof registry, {
      scan: async () => ({ ...(await registry.scan()), unreadableRows: 2 }),
    });
    const kept: string[] = [];
    const keepAlive: MailboxKeepAlive = { keepAlive: (upn) => (kept.push(upn), Promise.resolve('refreshed')) };
    const result = await createMonitorService(w.deps({ mailboxRegistry: withBrokenRows, keepAlive })).run();
    expect(result.errors).toEqual(['mailbox_rows_unreadable:2']);
    expect(kept).toEqual(['idle@contoso.example']);
    expect(w.mailer.sent[0]?.html).toContain('2 mailbox registry rows could not be read');
  });

  describe('storage loss (DESIGN §5)', () => {
    const OID = 'aaaaaaaa-1111-4222-8333-444444444444';
    const UPN = 'mario.rossi@contoso.example';

    async function storeMailboxCache(w: World): Promise<void> {
      const account = {
        home_account_id: `${OID}.${TENANT_ID}`,
        realm: TENANT_ID,
        local_account_id: OID,
        username: UPN,
        environment: 'login.microsoftonline.com',
      };
      await w.secrets.setSecret(mailboxCacheSecretName(TENANT_ID, OID), JSON.stringify({ Account: { key: account } }), {
        tags: { kind: 'mailbox-token-cache', managedBy: 'keyrelay', tid: TENANT_ID },
      });
    }

    it('an empty registry beside mailbox caches is rebuilt first, reported, and its mailboxes watched in the same run', async () => {
      const w = await world(addDays(START, 200));
      await storeMailboxCache(w);
      const registryRebuild = createRegistryRebuild({
        secretStore: w.secrets,
        mailboxRegistry: w.registry,
        clock: w.clock,
        logger: silentLogger,
      });
      const result = await createMonitorService(w.deps({ registryRebuild })).run();
      expect(result.counts).toMatchObject({ registryRebuilt: 1, mailboxes: 1 });
      expect(result.errors).toContain('registry_rebuilt:1');
      expect(await w.registry.get(UPN)).toMatchObject({ tenantId: TENANT_ID, objectId: OID, status: 'ok' });
      expect((await createMonitorService(w.deps({ registryRebuild })).run()).counts.registryRebuilt).toBeUndefined();
    });

    it('a registry that could not be read, or whose rows are all unreadable, is not taken as empty: nothing rebuilt', async () => {
      const w = await world(addDays(START, 200));
      await storeMailboxCache(w);
      let rebuilds = 0;
      const registryRebuild = { rebuild: () => ((rebuilds += 1), Promise.reject(new Error('must not run'))) };
      const registry = w.registry;
      const failing: typeof registry = Object.assign(Object.create(registry) as typeof registry, {
        scan: () => Promise.reject(new Error('table down')),
      });
      const unreadable: typeof registry = Object.assign(Object.create(registry) as typeof registry, {
        scan: () => Promise.resolve({ records: [], unreadableRows: 3 }),
      });
      expect(
        (await createMonitorService(w.deps({ registryRebuild, mailboxRegistry: failing })).run()).errors,
      ).toContain('mailbox_registry_unavailable');
      expect(
        (await createMonitorService(w.deps({ registryRebuild, mailboxRegistry: unreadable })).run()).errors,
      ).toContain('mailbox_rows_unreadable:3');
      expect(rebuilds).toBe(0);
    });
  });
});
