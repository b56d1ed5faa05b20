// The monitor's pure policy (DESIGN §6): days left vs thresholds, superseded credentials, rotation advice,
// mailbox grants vs the 90-day inactivity limit. No I/O: the caller passes `now`.
import { credentialIds, type MailboxGrant, type MonitoredCredential } from './credentials.js';

const MS_PER_DAY = 86_400_000;
/** Microsoft 365 refresh tokens die after 90 days without use (FACTS.md). */
export const GRANT_INACTIVITY_LIMIT_DAYS = 90;
/** Refresh idle grants weekly: a missed run or two still leaves ~80 days of margin. */
export const GRANT_KEEP_ALIVE_AFTER_DAYS = 7;

function startOfUtcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

/**
 * Whole UTC calendar days from `now` to `expiresAt` (0 on the expiry day, negative after it). Calendar
 * days rather than elapsed 24-hour spans, so that every run on the same day — scheduled, duplicated by the
 * host or manual — sees the same number and hits the same ledger entry.
 */
export function daysUntilExpiry(expiresAt: Date, now: Date): number {
  return calendarDaysBetween(now, expiresAt);
}

/** Whole UTC calendar days from `from` to `to` (negative when `to` is earlier). */
export function calendarDaysBetween(from: Date, to: Date): number {
  return Math.round((startOfUtcDay(to) - startOfUtcDay(from)) / MS_PER_DAY);
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * MS_PER_DAY);
}

export type ExpiryStatus = 'ok' | 'expiring' | 'expired' | 'superseded';
/** A threshold in days, or 'expired': the ledger records one alert per (credential id, DueThreshold). */
export type DueThreshold = number | 'expired';
export type RotationMode = 'auto' | 'alert-only';
export type RotationAdvice = { kind: 'rotate-now' } | { kind: 'planned'; on: Date };

export interface ExpiryEvaluation {
  credential: MonitoredCredential;
  status: ExpiryStatus;
  daysLeft: number;
  /** Undefined when nothing is due (also when superseded). */
  dueThreshold?: DueThreshold;
  /** The credential that makes this one silent (a newer sibling, or the app credential a Key Vault copy mirrors). */
  supersededBy?: string;
  /** Only for the client secret keyrelay uses, in auto mode. */
  rotation?: RotationAdvice;
}

export interface ExpiryPolicy {
  now: Date;
  /** Descending, e.g. [60, 30, 14, 7, 3, 1, 0]. */
  thresholdsDays: readonly number[];
  rotationLeadDays: number;
  rotationMode: RotationMode;
}

/** The smallest threshold already reached: after skipped runs only the most urgent crossed one is due. */
function dueThresholdFor(
  credential: MonitoredCredential,
  daysLeft: number,
  policy: ExpiryPolicy,
): DueThreshold | undefined {
  if (credential.expiresAt.getTime() <= policy.now.getTime()) return 'expired';
  let due: number | undefined;
  for (const threshold of policy.thresholdsDays) {
    if (daysLeft <= threshold && (due === undefined || threshold < due)) due = threshold;
  }
  return due;
}

function isAppCredential(credential: MonitoredCredential): boolean {
  return credential.kind === 'client-secret' || credential.kind === 'certificate';
}

/**
 * Graph stamps a password's `startDateTime` with Microsoft's clock, which may run a little ahead of ours:
 * a password added moments ago (by a rotation in this very run) must already count as started. Five
 * minutes is the customary bound for clock skew between machines (as Kerberos allows).
 */
export const START_CLOCK_SKEW_MS = 5 * 60_000;

function isValidAt(credential: MonitoredCredential, now: Date): boolean {
  return (
    (credential.startsAt === undefined || credential.startsAt.getTime() <= now.getTime() + START_CLOCK_SKEW_MS) &&
    credential.expiresAt.getTime() > now.getTime()
  );
}

/**
 * A newer valid credential of the same app and kind that keeps working past every threshold (e.g. after a
 * rotation or a manual renewal). A client secret is superseded only when keyrelay knows it does not use
 * it: a renewal that nobody put into service (or an unrelated password made in the portal) does not stop
 * the outage of the one in use, nor of one whose use is unknown.
 */
function findNewerSibling(
  credential: MonitoredCredential,
  all: readonly MonitoredCredential[],
  policy: ExpiryPolicy,
): MonitoredCredential | undefined {
  if (!isAppCredential(credential) || credential.appId === undefined) return undefined;
  if (credential.kind === 'client-secret' ? credential.inUse !== false : credential.inUse === true) return undefined;
  const largestThreshold = Math.max(0, ...policy.thresholdsDays);
  return all.find(
    (other) =>
      other.id !== credential.id &&
      other.kind === credential.kind &&
      other.appId === credential.appId &&
      other.expiresAt.getTime() > credential.expiresAt.getTime() &&
      isValidAt(other, policy.now) &&
      daysUntilExpiry(other.expiresAt, policy.now) > largestThreshold,
  );
}

/** A Key Vault secret tagged with an app credential's keyId is that credential: alert once, for the app credential. */
function findMirroredAppCredential(
  credential: MonitoredCredential,
  all: readonly MonitoredCredential[],
): MonitoredCredential | undefined {
  if (credential.kind !== 'key-vault-secret' || credential.appId === undefined || credential.keyId === undefined)
    return undefined;
  return all.find(
    (other) => isAppCredential(other) && other.appId === credential.appId && other.keyId === credential.keyId,
  );
}

function rotationAdviceFor(
  credential: MonitoredCredential,
  daysLeft: number,
  policy: ExpiryPolicy,
): RotationAdvice | undefined {
  if (policy.rotationMode !== 'auto' || credential.kind !== 'client-secret' || credential.inUse !== true)
    return undefined;
  if (daysLeft <= policy.rotationLeadDays) return { kind: 'rotate-now' };
  return { kind: 'planned', on: new Date(startOfUtcDay(credential.expiresAt) - policy.rotationLeadDays * MS_PER_DAY) };
}

export function evaluateExpiries(
  credentials: readonly MonitoredCredential[],
  policy: ExpiryPolicy,
): ExpiryEvaluation[] {
  return credentials.map((credential) => {
    const daysLeft = daysUntilExpiry(credential.expiresAt, policy.now);
    const rotation = rotationAdviceFor(credential, daysLeft, policy);
    const base: ExpiryEvaluation = { credential, status: 'ok', daysLeft, ...(rotation ? { rotation } : {}) };
    const dueThreshold = dueThresholdFor(credential, daysLeft, policy);
    if (dueThreshold === undefined) return base;
    const silencer =
      findNewerSibling(credential, credentials, policy) ?? findMirroredAppCredential(credential, credentials);
    if (silencer) return { ...base, status: 'superseded', supersededBy: silencer.id };
    return { ...base, status: dueThreshold === 'expired' ? 'expired' : 'expiring', dueThreshold };
  });
}

export interface DueAlert {
  credentialId: string;
  threshold: DueThreshold;
  evaluation: ExpiryEvaluation;
}

/** The alerts this run owes, before the ledger filters out those already sent. */
export function dueAlerts(evaluations: readonly ExpiryEvaluation[]): DueAlert[] {
  return evaluations.flatMap((evaluation) =>
    evaluation.dueThreshold === undefined
      ? []
      : [{ credentialId: evaluation.credential.id, threshold: evaluation.dueThreshold, evaluation }],
  );
}

export interface GrantEvaluation {
  grant: MailboxGrant;
  idleDays: number;
  /** Idle for more than a week: force a refresh so the grant never dies of inactivity. */
  needsKeepAlive: boolean;
  daysUntilInactivityExpiry: number;
  reconnectRequired: boolean;
}

export function evaluateGrants(grants: readonly MailboxGrant[], now: Date): GrantEvaluation[] {
  return grants.map((grant) => {
    const idleDays = Math.max(0, calendarDaysBetween(grant.lastRefreshAt, now));
    const daysUntilInactivityExpiry = GRANT_INACTIVITY_LIMIT_DAYS - idleDays;
    const reconnectRequired = grant.status === 'reconnect_required' || daysUntilInactivityExpiry <= 0;
    return {
      grant,
      idleDays,
      needsKeepAlive: !reconnectRequired && idleDays > GRANT_KEEP_ALIVE_AFTER_DAYS,
      daysUntilInactivityExpiry,
      reconnectRequired,
    };
  });
}

/** A grant as a credential: it expires 90 days after its last refresh (keep-alive should prevent that). */
export function grantAsCredential(grant: MailboxGrant): MonitoredCredential {
  return {
    id: credentialIds.mailboxGrant(grant.mailboxId),
    kind: 'mailbox-grant',
    label: grant.upn,
    expiresAt: addDays(grant.lastRefreshAt, GRANT_INACTIVITY_LIMIT_DAYS),
  };
}
