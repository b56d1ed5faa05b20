// The expiry monitor run (DESIGN §6, issue 6): advance the rotation -> discover -> evaluate (pure policy)
// -> claim alerts in the ledger -> send one digest -> keep idle grants alive (bounded, within the run's
// time budget, the rest carried over) -> record the run.
//
// Idempotence: every alert is a ledger entry (credential × threshold) claimed before the send and marked
// sent after it, released when the send fails (retried next run, never marked sent). The digest itself is
// sent under a per-day lock in the same ledger, so runs that overlap (the host firing twice, a manual
// run) never split one day's alerts over two mails: the loser of the lock sends nothing, and a later run
// finds every alert already sent.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import {
  type AlertLedger,
  GraphRequestError,
  type MailboxRecord,
  type RotationStore,
  type RunReportStore,
  StoreConflictError,
} from '#src/shared/ports/index.js';
import type { Config } from '#src/shared/config.js';
import type { Clock } from '#src/shared/domain/clock.js';
import { buildExpiryIcs } from '#src/shared/domain/monitor/calendarInvite.js';
import { digestCalendarEvents } from '#src/shared/domain/monitor/digestCalendar.js';
import {
  alertLedgerThreshold,
  type MailboxGrant,
  type MonitoredCredential,
} from '#src/shared/domain/monitor/credentials.js';
import {
  renderDigest,
  type DigestAction,
  type DigestInput,
  type DigestItem,
  type MailboxReconnect,
  type RenderedDigest,
  type RenewalNotice,
  type RotationFailureReason,
  type RotationHistoryEntry,
} from '#src/shared/domain/monitor/digest.js';
import {
  addDays,
  dueAlerts,
  evaluateExpiries,
  evaluateGrants,
  grantAsCredential,
  type DueAlert,
  type ExpiryEvaluation,
} from '#src/shared/domain/monitor/expiryPolicy.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import { runBudget, type RunBudget } from '#src/shared/domain/monitor/runBudget.js';
import { buildWebhookPayload } from '#src/shared/domain/monitor/webhookPayload.js';
import { isKeyrelayError } from '#src/shared/errors.js';
import { reconnectUrl } from '#src/shared/domain/connect/reconnectUrl.js';
import type { Logger } from '#src/shared/logger.js';
import {
  discoverCredentials,
  readApplication,
  type AppLookup,
  type Discovery,
  type DiscoveryDependencies,
} from './discovery.js';
import type { AlertMailer, AlertWebhook, MailboxKeepAlive } from '#src/shared/ports/index.js';
import type {
  RotationAdvancer,
  RotationEventKind,
  RotationOutcome,
  RotationOutcomeStep,
} from '#src/shared/ports/rotationOutcome.js';
import type { FederatedCheck } from './federatedCheck.js';
import type { RegistryRebuild } from '../mailboxes/registryRebuild.js';
import { mergeFederatedNotices, type FederatedPostureNotice } from '#src/shared/domain/monitor/federatedPosture.js';

/** Ledger entry that serialises digest sending per UTC day (never marked sent: released after each run). */
export const DIGEST_LOCK_ID = 'monitor:digest-lock';
/** Reminders in the .ics: a week and a day before the expiry (hours: day/week alarms are rejected by clients). */
const ICS_ALARM_HOURS = [7 * 24, 24] as const;
const MAX_ICS_ATTACHMENTS = 5;
const DIGEST_HISTORY_ENTRIES = 3;
/** Rotation steps that change the app's password list: discovery must read the app again after them. */
const PASSWORD_LIST_CHANGES: ReadonlySet<RotationEventKind> = new Set([
  'added',
  'orphan_removed',
  'old_removed',
  'rolled_back',
]);
const ROTATION_FAILURES: readonly RotationFailureReason[] = [
  'permission_denied',
  'policy_lifetime',
  'policy_forbidden',
  'verification_failed',
  'upstream_unavailable',
];
/** Rotation steps a rotation passes through within one run; sitting in one longer than a day means it is stuck. */
const ROTATION_STEPS_IN_PROGRESS: ReadonlySet<RotationOutcomeStep> = new Set([
  'planned',
  'added',
  'stored',
  'verified',
]);
const ROTATION_STUCK_AFTER_DAYS = 1;
/** Another instance holds the rotation: it reports on the client secret, this run says only that. */
const CONCURRENT_ROTATION_RUN = 'concurrent_run';
/** A renewal is announced until a digest carries it; after this long it is no longer news. */
const RENEWAL_ANNOUNCE_DAYS = 30;
/** Refreshes in flight at once: well under Entra's per-app throttling, enough for thousands a run. */
export const DEFAULT_KEEP_ALIVE_CONCURRENCY = 8;
/** The longest one keep-alive may take (two 10 s Entra attempts, Key Vault reads and a write). */
const KEEP_ALIVE_ALLOWANCE_MS = 30_000;
/** Rotation's verification retries take about three minutes; with its other steps, five. */
const ROTATION_ALLOWANCE_MS = 5 * 60_000;

/** What judging expiries needs: the monitor and the status page alike. */
export type ExpirySettings = Pick<
  Config,
  | 'oauthClientId'
  | 'azureTenantId'
  | 'oauthClientSecretName'
  | 'publicBaseUrl'
  | 'alertThresholdsDays'
  | 'rotationMode'
  | 'rotationLeadDays'
>;

export type MonitorSettings = ExpirySettings &
  Pick<Config, 'alertRecipients' | 'alertLocale' | 'alertTimeZone' | 'oauthClientCredential'> & {
    alertSender?: string | undefined;
  };

export interface MonitorDependencies extends DiscoveryDependencies {
  config: MonitorSettings;
  clock: Clock;
  alertLedger: AlertLedger;
  runReports: RunReportStore;
  rotationStore?: Pick<RotationStore<RotationRecord>, 'listHistory'>;
  /** Rebuilds a lost registry from the mailbox caches in Key Vault (DESIGN §5). */
  registryRebuild?: Pick<RegistryRebuild, 'rebuild'>;
  /** The token service; without it idle grants are only watched, not refreshed. */
  keepAlive?: MailboxKeepAlive;
  /** The rotation service; called only when ROTATION_MODE is auto. */
  rotation?: RotationAdvancer;
  /** Undefined when ALERT_RECIPIENTS / ALERT_SENDER are not set. */
  mailer?: AlertMailer;
  webhook?: AlertWebhook;
  /** OAUTH_CLIENT_CREDENTIAL=federated: the federated credential's check (federatedCheck.ts). */
  federatedCheck?: FederatedCheck;
  logger: Logger;
  /** The run's time budget (default: host.json's functionTimeout less a margin for the report). */
  budget?: { timeoutMs: number; marginMs: number };
  keepAliveConcurrency?: number;
}

export interface MonitorRunInput {
  runId?: string;
  now?: Date;
}

export interface MonitorRunResult {
  runId: string;
  /** `duplicate`: a run with this id already happened; nothing was done. */
  outcome: 'completed' | 'duplicate';
  counts: Record<string, number>;
  errors: string[];
  /** Present when this run sent a digest. */
  digest?: { subject: string; channels: Array<'mail' | 'webhook'> };
}

export interface MonitorService {
  run(input?: MonitorRunInput): Promise<MonitorRunResult>;
}

/** One alert the run owes: a ledger key and what the digest says about it. */
interface Notice {
  credentialId: string;
  threshold: string;
  item?: DigestItem;
  reconnect?: MailboxReconnect;
  renewal?: RenewalNotice;
  federated?: FederatedPostureNotice;
}

interface RotationView {
  progress?: RotationOutcome;
  /** Another instance holds the rotation's lease: it acts and reports on the client secret this time. */
  heldElsewhere?: boolean;
  failure?: RotationFailureReason;
  /** For `step_failed`: the step's error code (or `stuck_<step>`). */
  failureCode?: string;
}

export function newMonitorRunId(now: Date): string {
  return `monitor:${now.toISOString()}:${randomUUID().slice(0, 8)}`;
}

export function mailboxGrantOf(record: MailboxRecord): MailboxGrant {
  return {
    mailboxId: `${record.tenantId}.${record.objectId}`,
    upn: record.upn,
    tenantId: record.tenantId,
    lastRefreshAt: record.lastRefreshAt,
    status: record.status,
    ...(record.lastErrorCode !== undefined ? { lastErrorCode: record.lastErrorCode } : {}),
  };
}

/** A stable, secret-free code for a run report: HTTP status and upstream code, or our error code. */
export function failureCode(error: unknown): string {
  if (error instanceof GraphRequestError) return `${error.failure.status}:${error.failure.code}`;
  if (isKeyrelayError(error)) return error.code;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

function isRotationFailure(reason: string | undefined): reason is RotationFailureReason {
  return ROTATION_FAILURES.includes(reason as RotationFailureReason);
}

/** What one step adds to the run report. */
interface StepReport {
  counts: Record<string, number>;
  errors: string[];
}

/** The run's fixed facts, the same for every step. */
interface RunContext {
  runId: string;
  now: Date;
  budget: RunBudget;
}

/** Step 1: the app as Graph answered once, and what the rotation did with it. */
interface Rotated extends StepReport {
  lookup: AppLookup;
  rotation: RotationView;
}

/** Step 2: everything the run knows about the credentials and grants, judged. */
interface Survey extends StepReport {
  discovery: Discovery;
  /** The registry as the run ends up seeing it (rebuilt from Key Vault when it came back empty). */
  mailboxes: MailboxRecord[];
  evaluations: ExpiryEvaluation[];
  /** When the facts were judged: after this run's rotation (see `survey`). */
  evaluatedAt: Date;
}

/** Step 3: the alerts the run owes. */
interface Owed extends StepReport {
  notices: Notice[];
}

/** Step 4: the digest, when one was delivered. */
interface Alerted extends StepReport {
  digest?: MonitorRunResult['digest'];
}

function stepReport(counts: Record<string, number> = {}, errors: string[] = []): StepReport {
  return { counts, errors };
}

export function createMonitorService(deps: MonitorDependencies): MonitorService {
  const { config, alertLedger, runReports, logger } = deps;

  async function advanceRotation(
    run: RunContext,
    lookup: AppLookup,
  ): Promise<{ rotation: RotationView; errors: string[] }> {
    if (config.rotationMode !== 'auto' || !deps.rotation) return { rotation: {}, errors: [] };
    if (!run.budget.allows(deps.clock.now(), ROTATION_ALLOWANCE_MS))
      return { rotation: {}, errors: ['rotation_deferred:budget'] };
    let progress: RotationOutcome;
    try {
      // Without the app (Graph failed) the rotation reads it itself and reports why it could not.
      progress = await deps.rotation.advance({
        runId: run.runId,
        now: run.now,
        ...(lookup.ok ? { app: lookup.app } : {}),
      });
    } catch (error) {
      logger.error('monitor.rotation_failed', { code: failureCode(error) });
      return { rotation: { failure: 'upstream_unavailable' }, errors: [`rotation_failed:${failureCode(error)}`] };
    }
    if (progress.events.some((event) => event.reason === CONCURRENT_ROTATION_RUN)) {
      logger.info('monitor.rotation_held_elsewhere', { runId: run.runId });
      return { rotation: { progress, heldElsewhere: true }, errors: [] };
    }
    const stepError = progress.lastError !== CONCURRENT_ROTATION_RUN ? progress.lastError : undefined;
    const errors = stepError !== undefined ? [`rotation_step_failed:${stepError}`] : [];
    return { rotation: judgeRotation(progress, stepError, run.now, errors), errors };
  }

  /** A failure the digest must name: blocked, rolled back, a failed step mid-rotation, or a step that stopped moving. */
  function judgeRotation(
    progress: RotationOutcome,
    stepError: string | undefined,
    now: Date,
    errors: string[],
  ): RotationView {
    if (isRotationFailure(progress.blockedReason)) return { progress, failure: progress.blockedReason };
    if (progress.events.some((event) => event.kind === 'rolled_back'))
      return { progress, failure: 'verification_failed' };
    if (!ROTATION_STEPS_IN_PROGRESS.has(progress.step)) return { progress };
    // Mid-rotation, the secret is not renewed yet: a failed step, or a step that stopped moving, is a failure.
    if (stepError !== undefined) return { progress, failure: 'step_failed', failureCode: stepError };
    const current = progress.history.find((record) => record.rotationId === progress.rotationId);
    if (current?.step !== progress.step) return { progress };
    const stepAt = current.stepTimestamps[current.step] ?? current.startedAt;
    if (addDays(stepAt, ROTATION_STUCK_AFTER_DAYS).getTime() > now.getTime()) return { progress };
    errors.push(`rotation_stuck:${current.step}`);
    logger.warn('monitor.rotation_stuck', { rotationId: current.rotationId, step: current.step });
    return { progress, failure: 'step_failed', failureCode: `stuck_${current.step}` };
  }

  function actionFor(evaluation: ExpiryEvaluation, rotation: RotationView, now: Date): DigestAction {
    const { credential } = evaluation;
    if (credential.kind !== 'client-secret') return { kind: 'alert-only' };
    // A password keyrelay does not authenticate with is never rotated, whatever ROTATION_MODE says.
    if (credential.inUse === false) return { kind: 'not-in-use' };
    if (config.rotationMode !== 'auto') return { kind: 'alert-only' };
    if (rotation.failure)
      return {
        kind: 'rotation-failed',
        reason: rotation.failure,
        ...(rotation.failureCode !== undefined ? { errorCode: rotation.failureCode } : {}),
      };
    if (credential.inUse !== true) return { kind: 'in-use-unknown' };
    if (evaluation.rotation?.kind === 'planned') return { kind: 'rotation-planned', on: evaluation.rotation.on };
    const plannedFor = rotation.progress?.plannedFor;
    return { kind: 'rotation-planned', on: plannedFor && plannedFor > now ? plannedFor : now };
  }

  function digestItem(evaluation: ExpiryEvaluation, rotation: RotationView, now: Date): DigestItem {
    return {
      credential: evaluation.credential,
      daysLeft: evaluation.daysLeft,
      state: evaluation.dueThreshold === 'expired' ? 'expired' : 'expiring',
      expiresAt: evaluation.credential.expiresAt,
      action: actionFor(evaluation, rotation, now),
    };
  }

  function alertNotice(alert: DueAlert, rotation: RotationView, now: Date): Notice {
    const { evaluation } = alert;
    return {
      credentialId: alert.credentialId,
      threshold: alertLedgerThreshold(evaluation.credential, alert.threshold),
      item: digestItem(evaluation, rotation, now),
    };
  }

  /**
   * A rotation failure is news on its own, not only beside a threshold alert: mailed once per secret in use
   * and failure code (a rotation retried daily under a new id does not repeat it; a new secret may).
   */
  function rotationFailureNotices(
    evaluations: readonly ExpiryEvaluation[],
    rotation: RotationView,
    now: Date,
  ): Notice[] {
    if (!rotation.failure) return [];
    const inUse = evaluations.find(
      (evaluation) => evaluation.credential.kind === 'client-secret' && evaluation.credential.inUse === true,
    );
    if (!inUse) return [];
    return [
      {
        credentialId: `rotation:${inUse.credential.id}`,
        threshold: `failed:${rotation.failureCode ?? rotation.failure}`,
        item: digestItem(inUse, rotation, now),
      },
    ];
  }

  /** One reconnect alert per connection: a mailbox reconnected and revoked again alerts again. */
  function reconnectNotices(mailboxes: readonly MailboxRecord[], now: Date): Notice[] {
    const records = new Map(mailboxes.map((record) => [`${record.tenantId}.${record.objectId}`, record]));
    return evaluateGrants(mailboxes.map(mailboxGrantOf), now)
      .filter((health) => health.reconnectRequired)
      .map((health) => ({
        credentialId: `grant:${health.grant.mailboxId}`,
        threshold: `reconnect:${records.get(health.grant.mailboxId)?.connectedAt.toISOString() ?? ''}`,
        reconnect: {
          upn: health.grant.upn,
          reconnectUrl: reconnectUrl(config.publicBaseUrl, health.grant.upn),
          ...(health.grant.lastErrorCode ? { errorCode: health.grant.lastErrorCode } : {}),
        },
      }));
  }

  async function rotationHistory(discovery: Discovery, rotation: RotationView): Promise<RotationRecord[]> {
    if (rotation.progress) return [...rotation.progress.history];
    if (!deps.rotationStore) return [];
    return deps.rotationStore.listHistory(discovery.app.appId).catch(() => []);
  }

  function historyEntry(record: RotationRecord): RotationHistoryEntry | undefined {
    const renewedAt = record.stepTimestamps.switched;
    if (renewedAt === undefined) return undefined;
    const removed = record.stepTimestamps.old_removed;
    return {
      renewedAt,
      ...(record.oldKeyId !== undefined ? { oldKeyId: record.oldKeyId } : {}),
      ...(record.newEndDateTime ? { newExpiresAt: record.newEndDateTime } : {}),
      ...(removed ? { oldRemovedAt: removed } : record.removeAfter ? { oldRemovalAfter: record.removeAfter } : {}),
    };
  }

  /** A completed switch, for the digest to announce (the old secret's end from discovery). */
  function renewalNotice(entry: RotationHistoryEntry, record: RotationRecord, discovery: Discovery): RenewalNotice {
    const old = discovery.credentials.find(
      (credential) =>
        credential.kind === 'client-secret' && record.oldKeyId !== undefined && credential.keyId === record.oldKeyId,
    );
    return { ...entry, ...(old ? { oldExpiresAt: old.expiresAt } : {}) };
  }

  /**
   * The latest renewal, from the rotation's history rather than this run's events: when the run that
   * switched could not send its digest (lock lost, mail down), a later run announces it. The ledger
   * (`rotation:<id>` × `switched`) keeps it to one announcement.
   */
  function switchedNotices(rotation: RotationView, discovery: Discovery, now: Date): Notice[] {
    const latest = (rotation.progress?.history ?? [])
      .flatMap((record) => {
        const entry = historyEntry(record);
        return entry ? [{ record, entry }] : [];
      })
      .sort((a, b) => b.entry.renewedAt.getTime() - a.entry.renewedAt.getTime())[0];
    if (!latest || addDays(latest.entry.renewedAt, RENEWAL_ANNOUNCE_DAYS).getTime() < now.getTime()) return [];
    return [
      {
        credentialId: `rotation:${latest.record.rotationId}`,
        threshold: 'switched',
        renewal: renewalNotice(latest.entry, latest.record, discovery),
      },
    ];
  }

  function historyEntries(records: readonly RotationRecord[]): RotationHistoryEntry[] {
    return records
      .flatMap((record) => {
        const entry = historyEntry(record);
        return entry ? [entry] : [];
      })
      .sort((a, b) => b.renewedAt.getTime() - a.renewedAt.getTime())
      .slice(0, DIGEST_HISTORY_ENTRIES);
  }

  function calendarAttachments(
    input: DigestInput,
    now: Date,
  ): Array<{ name: string; contentType: string; contentBytes: string }> {
    const events = digestCalendarEvents(input, config.alertLocale, {
      rotationLeadDays: config.rotationLeadDays,
      alarmsHoursBefore: ICS_ALARM_HOURS,
      maxEvents: MAX_ICS_ATTACHMENTS,
    });
    return events.map((event, index) => ({
      name: `keyrelay-expiry-${utcDay(event.expiresAt)}${index > 0 ? `-${index + 1}` : ''}.ics`,
      contentType: 'text/calendar',
      contentBytes: Buffer.from(buildExpiryIcs(event, { now: () => now }), 'utf8').toString('base64'),
    }));
  }

  /**
   * Sends on every configured channel. `delivered`: the deciding channel accepted it — the mail when one is
   * configured (a webhook that worked does not make up for the admin's mail), else the webhook.
   */
  async function deliver(
    input: DigestInput,
    rendered: RenderedDigest,
    now: Date,
  ): Promise<{ channels: Array<'mail' | 'webhook'>; delivered: boolean; errors: string[] }> {
    const channels: Array<'mail' | 'webhook'> = [];
    const errors: string[] = [];
    const { mailer, webhook } = deps;
    const sender = config.alertSender;
    // The webhook runs beside the mail and never blocks it.
    const webhookDelivery = webhook
      ? webhook.notify(buildWebhookPayload(input, config.alertLocale)).then(
          () => true,
          (error: unknown) => {
            errors.push(`webhook_failed:${failureCode(error)}`);
            logger.warn('monitor.webhook_failed', { code: failureCode(error) });
            return false;
          },
        )
      : Promise.resolve(false);
    const mailConfigured = mailer !== undefined && sender !== undefined && config.alertRecipients.length > 0;
    if (mailConfigured) {
      try {
        await mailer.send({
          from: sender,
          to: config.alertRecipients,
          subject: rendered.subject,
          html: rendered.html,
          attachments: calendarAttachments(input, now),
        });
        channels.push('mail');
      } catch (error) {
        errors.push(`mail_send_failed:${failureCode(error)}`);
        logger.error('monitor.mail_send_failed', { code: failureCode(error) });
      }
    } else {
      errors.push('alerts_not_configured');
    }
    if (await webhookDelivery) channels.push('webhook');
    return { channels, delivered: channels.includes(mailConfigured ? 'mail' : 'webhook'), errors };
  }

  async function claimNotices(notices: readonly Notice[], runId: string): Promise<StepReport & { claimed: Notice[] }> {
    const claimed: Notice[] = [];
    const { counts, errors } = stepReport();
    for (const notice of notices) {
      let claim: Awaited<ReturnType<AlertLedger['claim']>>;
      try {
        // Stamped with the time of the claim, not the run's start: a long run's claims keep their full lease.
        claim = await alertLedger.claim(notice.credentialId, notice.threshold, runId, deps.clock.now());
      } catch (error) {
        // One unreadable ledger row (an older version, a hand edit) skips its alert, never the digest.
        counts.ledgerRowsSkipped = (counts.ledgerRowsSkipped ?? 0) + 1;
        errors.push(`ledger_row_skipped:${notice.credentialId}|${notice.threshold}:${failureCode(error)}`);
        logger.warn('monitor.ledger_row_skipped', {
          credentialId: notice.credentialId,
          threshold: notice.threshold,
          code: failureCode(error),
        });
        continue;
      }
      if (claim === 'claimed') claimed.push(notice);
      else counts.alertsAlreadyHandled = (counts.alertsAlreadyHandled ?? 0) + 1;
    }
    return { claimed, counts, errors };
  }

  /**
   * DESIGN §5: a registry that came back empty (emptied, or its table recreated) while Key Vault holds
   * mailbox caches is rebuilt from them before anything reads the mailboxes, so this run watches them.
   * A registry that could not be read is left alone: unreadable is not empty.
   */
  async function rebuildLostRegistry(discovery: Discovery): Promise<StepReport & { mailboxes: MailboxRecord[] }> {
    const { registryRebuild } = deps;
    const unchanged = { mailboxes: discovery.mailboxes, ...stepReport() };
    if (!registryRebuild || discovery.mailboxes.length > 0) return unchanged;
    if (discovery.errors.some((code) => code.startsWith('mailbox_'))) return unchanged;
    const { counts, errors } = unchanged;
    try {
      const result = await registryRebuild.rebuild();
      if (result.unparsable > 0) {
        counts.mailboxCachesUnparsable = result.unparsable;
        errors.push(`mailbox_caches_unparsable:${result.unparsable}`);
      }
      if (result.rebuilt === 0 && result.conflicts === 0) return unchanged;
      counts.registryRebuilt = result.rebuilt;
      // A repair is news: the run report and the digest's "could not check" section say so.
      errors.push(`registry_rebuilt:${result.rebuilt}`);
      logger.warn('monitor.registry_rebuilt', { rebuilt: result.rebuilt, conflicts: result.conflicts });
      return { mailboxes: (await deps.mailboxRegistry.scan()).records, counts, errors };
    } catch (error) {
      errors.push(`registry_rebuild_failed:${failureCode(error)}`);
      logger.error('monitor.registry_rebuild_failed', { code: failureCode(error) });
      return unchanged;
    }
  }

  // The run's steps, in order (DESIGN §6: urgent work first). Each returns what it found and what it
  // adds to the run report; `run` below strings them together.

  /** 1. One Graph read of the app per run (issue 10, P6), handed to the rotation, which advances. */
  async function rotate(run: RunContext): Promise<Rotated> {
    const lookup = await readApplication(deps.appDirectory, config.oauthClientId);
    const { rotation, errors } = await advanceRotation(run, lookup);
    return { lookup, rotation, counts: {}, errors };
  }

  /** 2. Discover (reading the app again only when the rotation changed its passwords), repair, judge. */
  async function survey(run: RunContext, { lookup, rotation }: Rotated): Promise<Survey> {
    const passwordsChanged = rotation.progress?.events.some((event) => PASSWORD_LIST_CHANGES.has(event.kind)) === true;
    const discovery = await discoverCredentials(deps, passwordsChanged ? {} : { app: lookup });
    const rebuilt = await rebuildLostRegistry(discovery);
    const watchedGrants: MonitoredCredential[] = evaluateGrants(rebuilt.mailboxes.map(mailboxGrantOf), run.now)
      .filter((health) => !health.reconnectRequired)
      .map((health) => grantAsCredential(health.grant));
    // Judge the facts as of when they were read: after this run's rotation, whose new password starts
    // later than the run's `now` (by the keep-alive and rotation steps; the policy tolerates Graph's clock
    // running a little ahead of ours).
    const evaluatedAt = new Date(Math.max(run.now.getTime(), deps.clock.now().getTime()));
    const evaluations = evaluateExpiries([...discovery.credentials, ...watchedGrants], {
      now: evaluatedAt,
      thresholdsDays: config.alertThresholdsDays,
      rotationLeadDays: config.rotationLeadDays,
      rotationMode: config.rotationMode,
    });
    return {
      discovery,
      mailboxes: rebuilt.mailboxes,
      evaluations,
      evaluatedAt,
      counts: { ...rebuilt.counts, credentials: discovery.credentials.length, mailboxes: rebuilt.mailboxes.length },
      errors: [...discovery.errors, ...rebuilt.errors],
    };
  }

  /** 3. What the run owes the admins: due thresholds, rotation news, reconnects, the federated posture. */
  async function owe(
    run: RunContext,
    { rotation }: Rotated,
    { discovery, mailboxes, evaluations, evaluatedAt }: Survey,
  ): Promise<Owed> {
    const due = dueAlerts(evaluations);
    const reconnects = reconnectNotices(mailboxes, run.now);
    const federated = await deps.federatedCheck?.check({
      ...(discovery.appObjectId !== undefined ? { appObjectId: discovery.appObjectId } : {}),
      credentials: discovery.credentials,
      now: evaluatedAt,
    });
    const counts: Record<string, number> = { alertsDue: due.length, reconnectRequired: reconnects.length };
    if (rotation.heldElsewhere) counts.rotationByAnotherInstance = 1;
    else if (rotation.progress) counts.rotationSteps = rotation.progress.events.length;
    // While another instance rotates, what this run read of the client secret may already be stale (a
    // "expires in 20 days" beside that instance's "renewed"): the lease holder reports it; unclaimed, it
    // stays due for the next run should that instance fail to.
    const aboutTheSecret = (notice: Notice) =>
      notice.item?.credential.kind === 'client-secret' || notice.renewal !== undefined;
    const notices = [
      ...due.map((alert) => alertNotice(alert, rotation, run.now)),
      ...rotationFailureNotices(evaluations, rotation, run.now),
      ...reconnects,
      ...switchedNotices(rotation, discovery, evaluatedAt),
      ...(federated?.notices ?? []),
    ].filter((notice) => !rotation.heldElsewhere || !aboutTheSecret(notice));
    return { notices, counts, errors: federated?.errors ?? [] };
  }

  /**
   * 4. One digest for everything owed, under the day's lock: claim each alert, send, then mark the claims
   * sent (or release them when the deciding channel failed, so the next run retries). `errorsSoFar`: what
   * the digest's "could not check" section lists.
   */
  async function alert(
    run: RunContext,
    { rotation }: Rotated,
    { discovery }: Survey,
    { notices }: Owed,
    errorsSoFar: readonly string[],
  ): Promise<Alerted> {
    if (notices.length === 0) return stepReport();
    const { runId, now } = run;
    const day = utcDay(now);
    const lock = await alertLedger.claim(DIGEST_LOCK_ID, day, runId, deps.clock.now());
    if (lock !== 'claimed') {
      logger.info('monitor.digest_skipped', { runId, reason: 'another_run_sending' });
      return stepReport({ digestSkippedConcurrentRun: 1 });
    }
    try {
      const { claimed, counts, errors } = await claimNotices(notices, runId);
      if (claimed.length === 0) return { counts, errors };
      // A credential appears once, even when a threshold and a rotation failure both speak of it.
      const items = [
        ...new Map(
          claimed.flatMap((notice) => (notice.item ? [[notice.item.credential.id, notice.item] as const] : [])),
        ).values(),
      ];
      const input: DigestInput = {
        app: discovery.app,
        timeZone: config.alertTimeZone,
        clientCredential: config.oauthClientCredential,
        items,
        reconnects: claimed.flatMap((notice) => (notice.reconnect ? [notice.reconnect] : [])),
        ...(discovery.missingPermission ? { missingPermission: discovery.missingPermission } : {}),
        rotationHistory: historyEntries(await rotationHistory(discovery, rotation)),
        runErrors: [...errorsSoFar, ...errors],
      };
      const renewal = claimed.find((notice) => notice.renewal)?.renewal;
      if (renewal) input.renewal = renewal;
      const federated = mergeFederatedNotices(
        claimed.flatMap((notice) => (notice.federated ? [notice.federated] : [])),
      );
      if (federated) input.federated = federated;
      const rendered = renderDigest(input, config.alertLocale);
      const delivery = await deliver(input, rendered, now);
      errors.push(...delivery.errors);
      if (!delivery.delivered) {
        await Promise.all(claimed.map((notice) => alertLedger.release(notice.credentialId, notice.threshold, runId)));
        return { counts: { ...counts, alertsReleased: claimed.length }, errors };
      }
      await Promise.all(
        claimed.map((notice) => alertLedger.markSent(notice.credentialId, notice.threshold, runId, deps.clock.now())),
      );
      logger.info('monitor.digest_sent', { runId, alerts: claimed.length, channels: delivery.channels.join(',') });
      return {
        digest: { subject: rendered.subject, channels: delivery.channels },
        counts: { ...counts, alertsSent: claimed.length, digestsSent: 1 },
        errors,
      };
    } finally {
      await alertLedger.release(DIGEST_LOCK_ID, day, runId);
    }
  }

  /**
   * 5. Keep-alive refreshes, last in the run: the most urgent grants first (oldest refresh), a few at a time,
   * none started that could not finish within the budget. The rest stays idle in the registry, so the next
   * run takes it first; a transient failure is retried there, never turned into reconnect_required.
   */
  async function keepIdleGrantsAlive(run: RunContext, { mailboxes }: Survey): Promise<StepReport> {
    const idle = evaluateGrants(mailboxes.map(mailboxGrantOf), run.now)
      .filter((grant) => grant.needsKeepAlive)
      .sort((a, b) => a.grant.lastRefreshAt.getTime() - b.grant.lastRefreshAt.getTime());
    if (idle.length === 0) return stepReport();
    const { keepAlive } = deps;
    if (!keepAlive) return stepReport({}, ['keep_alive_unavailable']);
    const limit = pLimit(deps.keepAliveConcurrency ?? DEFAULT_KEEP_ALIVE_CONCURRENCY);
    const outcomes = await Promise.all(
      idle.map(({ grant, idleDays }) =>
        limit(async (): Promise<{ left?: true; refreshed?: true; failure?: string }> => {
          if (!run.budget.allows(deps.clock.now(), KEEP_ALIVE_ALLOWANCE_MS)) return { left: true };
          let refreshed: true | undefined;
          try {
            const result = await keepAlive.keepAlive(grant.upn);
            refreshed = true;
            logger.info('monitor.keep_alive', { tenantId: grant.tenantId, idleDays, result });
            if (result === 'reconnect_required') {
              const current = await deps.mailboxRegistry.get(grant.upn);
              if (current?.status === 'ok')
                await deps.mailboxRegistry.markReconnectRequired(grant.upn, 'invalid_grant', deps.clock.now());
            }
            return { refreshed };
          } catch (error) {
            logger.warn('monitor.keep_alive_failed', { tenantId: grant.tenantId, code: failureCode(error) });
            return { ...(refreshed ? { refreshed } : {}), failure: failureCode(error) };
          }
        }),
      ),
    );
    const failures = outcomes.flatMap((outcome) => (outcome.failure !== undefined ? [outcome.failure] : []));
    const left = outcomes.filter((outcome) => outcome.left).length;
    const counts: Record<string, number> = { keepAlives: outcomes.filter((outcome) => outcome.refreshed).length };
    if (failures.length > 0) counts.keepAliveFailed = failures.length;
    if (left > 0) {
      // Not an error: the budget did its job. The next run starts with these.
      counts.keepAliveCarriedOver = left;
      logger.warn('monitor.keep_alive_carried_over', { left });
    }
    return { counts, errors: [...new Set(failures)].map((code) => `keep_alive_failed:${code}`) };
  }

  return {
    async run(input = {}) {
      const now = input.now ?? deps.clock.now();
      const runId = input.runId ?? newMonitorRunId(now);
      try {
        await runReports.start(runId, now);
      } catch (error) {
        if (error instanceof StoreConflictError) return { runId, outcome: 'duplicate', counts: {}, errors: [] };
        throw error;
      }
      logger.info('monitor.run_started', { runId });
      // From the clock, not `now`: a run asked to judge another day still has the host's real timeout.
      const startedAt = deps.clock.now();
      const budget = deps.budget
        ? runBudget(startedAt, deps.budget.timeoutMs, deps.budget.marginMs)
        : runBudget(startedAt);
      const run: RunContext = { runId, now, budget };
      // What the steps report so far: kept when a later step throws (a partial run is reported as such).
      const counts: Record<string, number> = {};
      const errors: string[] = [];
      const record = <T extends StepReport>(step: T): T => {
        Object.assign(counts, step.counts);
        errors.push(...step.errors);
        return step;
      };
      let digest: MonitorRunResult['digest'];
      try {
        const rotated = record(await rotate(run));
        const surveyed = record(await survey(run, rotated));
        const owed = record(await owe(run, rotated, surveyed));
        digest = record(await alert(run, rotated, surveyed, owed, errors)).digest;
        record(await keepIdleGrantsAlive(run, surveyed));
      } catch (error) {
        errors.push(`run_failed:${failureCode(error)}`);
        logger.error('monitor.run_failed', { runId, code: failureCode(error) });
      }
      await runReports.finish(runId, { finishedAt: deps.clock.now(), counts, errors });
      logger.info('monitor.run_finished', { runId, errors: errors.length, digestsSent: counts.digestsSent ?? 0 });
      return { runId, outcome: 'completed', counts, errors, ...(digest ? { digest } : {}) };
    },
  };
}
