// GET /api/status as a use case (DESIGN §3): mailboxes and grant health, credentials and days left, the
// last monitor runs and the rotations — the monitor's own discovery, read-only. Never a secret value.
import { alarmChannelsWithoutSecret, type AlarmChannelSettings } from '#src/shared/domain/monitor/alarmChannels.js';
import type { Config } from '#src/shared/config.js';
import type { Clock } from '#src/shared/domain/clock.js';
import type { CredentialKind } from '#src/shared/domain/monitor/credentials.js';
import { evaluateExpiries, evaluateGrants, type ExpiryStatus } from '#src/shared/domain/monitor/expiryPolicy.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import type { MailboxStatus, RotationStore, RunReport, RunReportStore } from '#src/shared/ports/index.js';
import { discoverCredentials, type DiscoveryDependencies } from '../monitor/discovery.js';
import { mailboxGrantOf, type ExpirySettings } from '../monitor/monitorService.js';
import { reconnectUrl } from '#src/shared/domain/connect/reconnectUrl.js';
import { CREDENTIAL_ALARM_RUN_PREFIX } from '../token/credentialAlarm.js';

const RUNS_SHOWN = 5;
const REPORTS_READ = 20;
const ROTATIONS_SHOWN = 5;

export type StatusSettings = ExpirySettings &
  AlarmChannelSettings &
  Pick<Config, 'alertTimeZone'> &
  Partial<Pick<Config, 'oauthClientCredential'>>;

export interface StatusDependencies extends DiscoveryDependencies {
  config: StatusSettings;
  clock: Clock;
  runReports: RunReportStore;
  rotationStore: Pick<RotationStore<RotationRecord>, 'listHistory'>;
}

export interface CredentialStatus {
  id: string;
  kind: CredentialKind;
  label: string;
  expiresAt: string;
  daysLeft: number;
  status: ExpiryStatus;
  inUse: boolean;
  managedByKeyrelay: boolean;
}

export interface MailboxHealth {
  upn: string;
  tenantId: string;
  status: MailboxStatus;
  connectedAt: string;
  lastRefreshAt: string;
  idleDays: number;
  daysUntilInactivityExpiry: number;
  lastErrorCode?: string;
  reconnectUrl?: string;
}

export interface RunSummary {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  counts: Record<string, number>;
  errors: string[];
}

export interface RotationSummary {
  rotationId: string;
  step: string;
  startedAt: string;
  switchedAt?: string;
  oldRemovedAt?: string;
  newEndDateTime?: string;
  blockedReason?: string;
  lastError?: string;
}

export interface StatusReport {
  generatedAt: string;
  app: { appId: string; tenantId: string; displayName: string };
  /** The OAuth client's credential kind (DESIGN §2): `federated` has no secret to expire. */
  credentialPosture: Config['oauthClientCredential'];
  /** The Graph permission keyrelay lacks (credential dates then come from Key Vault). */
  missingPermission?: string;
  /** Sources that could not be read for this report (stable codes). */
  sourceErrors: string[];
  /** Setup weaknesses to fix before they matter (stable codes), e.g. `alarm_channel_needs_secret`. */
  warnings: string[];
  /** `timeZone` (ALERT_TIME_ZONE): the zone every time on the page is shown in, as in the mails. */
  settings: { rotationMode: Config['rotationMode']; alertThresholdsDays: number[]; timeZone: string };
  credentials: CredentialStatus[];
  mailboxes: MailboxHealth[];
  runs: RunSummary[];
  /** "keyrelay's own credential was refused" alarms raised by the token service. */
  credentialAlarms: RunSummary[];
  rotations: RotationSummary[];
}

export interface StatusService {
  getStatus(): Promise<StatusReport>;
}

function iso(date: Date | undefined): string | undefined {
  return date?.toISOString();
}

function runSummary(report: RunReport): RunSummary {
  return {
    runId: report.runId,
    startedAt: report.startedAt.toISOString(),
    ...(report.finishedAt ? { finishedAt: report.finishedAt.toISOString() } : {}),
    counts: report.counts,
    errors: report.errors,
  };
}

function rotationSummary(record: RotationRecord): RotationSummary {
  const optional = {
    switchedAt: iso(record.stepTimestamps.switched),
    oldRemovedAt: iso(record.stepTimestamps.old_removed),
    newEndDateTime: iso(record.newEndDateTime),
    blockedReason: record.blockedReason,
    lastError: record.lastError,
  };
  return {
    rotationId: record.rotationId,
    step: record.step,
    startedAt: record.startedAt.toISOString(),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

export function createStatusService(deps: StatusDependencies): StatusService {
  const { config } = deps;
  return {
    async getStatus() {
      const now = deps.clock.now();
      const [discovery, reports, history] = await Promise.all([
        discoverCredentials(deps),
        deps.runReports.latest(REPORTS_READ).catch(() => undefined),
        deps.rotationStore.listHistory(config.oauthClientId).catch(() => undefined),
      ]);
      const sourceErrors = [...discovery.errors];
      if (reports === undefined) sourceErrors.push('run_reports_unavailable');
      if (history === undefined) sourceErrors.push('rotation_store_unavailable');

      const evaluations = evaluateExpiries(discovery.credentials, {
        now,
        thresholdsDays: config.alertThresholdsDays,
        rotationLeadDays: config.rotationLeadDays,
        rotationMode: config.rotationMode,
      });
      const credentials = evaluations
        .map(({ credential, daysLeft, status }) => ({
          id: credential.id,
          kind: credential.kind,
          label: credential.label,
          expiresAt: credential.expiresAt.toISOString(),
          daysLeft,
          status,
          inUse: credential.inUse === true,
          managedByKeyrelay: credential.managedByKeyrelay === true,
        }))
        .sort((a, b) => a.daysLeft - b.daysLeft);
      const records = new Map(discovery.mailboxes.map((record) => [record.upn, record]));
      const mailboxes = evaluateGrants(discovery.mailboxes.map(mailboxGrantOf), now).map((health): MailboxHealth => {
        const record = records.get(health.grant.upn);
        return {
          upn: health.grant.upn,
          tenantId: health.grant.tenantId,
          status: health.reconnectRequired ? 'reconnect_required' : 'ok',
          connectedAt: record?.connectedAt.toISOString() ?? '',
          lastRefreshAt: health.grant.lastRefreshAt.toISOString(),
          idleDays: health.idleDays,
          daysUntilInactivityExpiry: health.daysUntilInactivityExpiry,
          ...(health.grant.lastErrorCode ? { lastErrorCode: health.grant.lastErrorCode } : {}),
          ...(health.reconnectRequired ? { reconnectUrl: reconnectUrl(config.publicBaseUrl, health.grant.upn) } : {}),
        };
      });
      const allReports = reports ?? [];
      return {
        generatedAt: now.toISOString(),
        app: discovery.app,
        credentialPosture: config.oauthClientCredential ?? 'secret',
        ...(discovery.missingPermission ? { missingPermission: discovery.missingPermission } : {}),
        sourceErrors,
        warnings: alarmChannelsWithoutSecret(config).length === 0 ? ['alarm_channel_needs_secret'] : [],
        settings: {
          rotationMode: config.rotationMode,
          alertThresholdsDays: [...config.alertThresholdsDays],
          timeZone: config.alertTimeZone,
        },
        credentials,
        mailboxes,
        runs: allReports
          .filter((r) => !r.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX))
          .slice(0, RUNS_SHOWN)
          .map(runSummary),
        credentialAlarms: allReports
          .filter((r) => r.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX))
          .slice(0, RUNS_SHOWN)
          .map(runSummary),
        rotations: (history ?? []).slice(0, ROTATIONS_SHOWN).map(rotationSummary),
      };
    },
  };
}
