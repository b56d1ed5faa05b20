// Client-secret rotation (issue 7, DESIGN §6) as pure decisions: given the persisted record and what Graph
// and Key Vault show now, `nextRotationAction` names the one next step; `applyRotationEvent` records its
// outcome. The caller performs the I/O, saves the record (ETag-guarded) after every step and asks again,
// so a crash at any point resumes from the record plus the Graph credential list.
//
// Invariants kept here: the old secret stays current until the new one is verified; at most one orphan
// password of ours exists (it is removed before another is added); only passwords whose displayName
// carries our rotation id, or the recorded old keyId after the overlap, are ever removed; the password the
// Key Vault secret names (inUseKeyId) is never removed, whatever a stale record says.
import { randomUUID } from 'node:crypto';
import { addDays, daysUntilExpiry } from './expiryPolicy.js';

export type RotationStep =
  'planned' | 'added' | 'stored' | 'verified' | 'switched' | 'old_removed' | 'rolled_back' | 'failed';
/** Causes a retry cannot fix: the admin must act (the digest says how). */
export type RotationBlockedReason = 'policy_lifetime' | 'policy_forbidden' | 'permission_denied';

export interface RotationRecord {
  rotationId: string;
  appId: string;
  step: RotationStep;
  /** The password in use when the rotation started: the only non-keyrelay password it may remove. */
  oldKeyId?: string;
  newKeyId?: string;
  newEndDateTime?: Date;
  newSecretVersion?: string;
  startedAt: Date;
  stepTimestamps: Partial<Record<RotationStep, Date>>;
  verifyAttempts: number;
  lastVerifyAttemptAt?: Date;
  /** A stable code, never a raw upstream message (it may echo request data). */
  lastError?: string;
  blockedReason?: RotationBlockedReason;
  removeAfter?: Date;
  /**
   * The run that may act on this rotation until `until`; other runs stop while it is live. Taken with an
   * ETag-checked write before any Graph or Key Vault action, so two runs never act on the same record.
   */
  lease?: RotationLease;
}

export interface RotationLease {
  runId: string;
  until: Date;
}

export interface GraphPassword {
  keyId: string;
  displayName: string | null;
  endDateTime: Date;
}

export interface RotationFacts {
  now: Date;
  graphPasswords: readonly GraphPassword[];
  /** keyId of the secret keyrelay authenticates with (Key Vault `keyId` tag); undefined when unknown. */
  inUseKeyId: string | undefined;
  leadDays: number;
  overlapDays: number | 'never';
  /** How long after storing the new secret verification may keep failing before it is rolled back. */
  verifyDeadlineMinutes: number;
  /** True only within the run that just received the new secret text from addPassword. */
  newSecretInHand?: boolean;
  /** Tenant app-management policy cap on password lifetime, when known. */
  policyMaxLifetimeDays?: number;
}

export type RotationAction =
  | { kind: 'start' }
  | { kind: 'addPassword'; displayName: string; endDateTime: Date }
  /** A password of this rotation whose text was lost (crash, timeout): remove it (404 counts as done), then ask again. */
  | { kind: 'adoptOrphan'; keyId: string }
  | { kind: 'storeSecret' }
  | { kind: 'verify' }
  | { kind: 'switch' }
  | { kind: 'removeOld'; keyId: string; after: Date }
  /** A password carrying this rotation's displayName that is not its new one (left by a run that lost a race). */
  | { kind: 'removeLeftover'; keyId: string }
  | { kind: 'wait'; until: Date }
  | { kind: 'rollBack'; removeKeyId: string }
  | { kind: 'blocked'; reason: RotationBlockedReason | 'in_use_unknown' };

/** The portal's maximum (24 months). */
export const MAX_SECRET_LIFETIME_DAYS = 730;
/** After a failed or blocked rotation, try again on the next daily run, never sooner: no retry storm. */
const RETRY_AFTER_FAILURE_DAYS = 1;
const DISPLAY_NAME_PREFIX = 'keyrelay rotation';

export function rotationDisplayName(rotationId: string): string {
  return `${DISPLAY_NAME_PREFIX} ${rotationId}`;
}

function carriesRotationId(password: GraphPassword, rotationId: string): boolean {
  return password.displayName === rotationDisplayName(rotationId);
}

export function newRotationRecord(input: {
  appId: string;
  oldKeyId: string | undefined;
  now: Date;
  rotationId?: string;
}): RotationRecord {
  return {
    rotationId: input.rotationId ?? randomUUID(),
    appId: input.appId,
    step: 'planned',
    ...(input.oldKeyId !== undefined ? { oldKeyId: input.oldKeyId } : {}),
    startedAt: input.now,
    stepTimestamps: { planned: input.now },
    verifyAttempts: 0,
  };
}

/** A day under a policy cap: Graph counts the cap from its own clock, which may run ahead of ours. */
export function rotationEndDate(now: Date, policyMaxLifetimeDays?: number): Date {
  const days = policyMaxLifetimeDays === undefined ? MAX_SECRET_LIFETIME_DAYS : Math.max(1, policyMaxLifetimeDays - 1);
  return addDays(now, Math.min(MAX_SECRET_LIFETIME_DAYS, days));
}

/** Longer than any run (verification retries take about three minutes). */
export const ROTATION_LEASE_MINUTES = 10;

export function newRotationLease(runId: string, now: Date): RotationLease {
  return { runId, until: new Date(now.getTime() + ROTATION_LEASE_MINUTES * 60_000) };
}

/** True while another run holds the record's lease: this run must not act on the rotation. */
export function leasedToOtherRun(record: RotationRecord | undefined, runId: string, now: Date): boolean {
  const lease = record?.lease;
  return lease !== undefined && lease.runId !== runId && lease.until.getTime() > now.getTime();
}

function lastStepAt(record: RotationRecord): Date {
  return record.stepTimestamps[record.step] ?? record.startedAt;
}

function decideStart(record: RotationRecord | undefined, facts: RotationFacts): RotationAction {
  if (record && (record.step === 'failed' || record.step === 'rolled_back')) {
    const retryAt = addDays(lastStepAt(record), RETRY_AFTER_FAILURE_DAYS);
    if (facts.now.getTime() < retryAt.getTime()) {
      return record.blockedReason
        ? { kind: 'blocked', reason: record.blockedReason }
        : { kind: 'wait', until: retryAt };
    }
  }
  const inUse = facts.graphPasswords.find((password) => password.keyId === facts.inUseKeyId);
  if (!inUse) return { kind: 'blocked', reason: 'in_use_unknown' };
  const daysLeft = daysUntilExpiry(inUse.endDateTime, facts.now);
  if (daysLeft > facts.leadDays) return { kind: 'wait', until: addDays(inUse.endDateTime, -facts.leadDays) };
  return { kind: 'start' };
}

/**
 * True when the rotation has nothing left to do but let the next one start when due: finished, failed,
 * rolled back, or switched with nothing it may remove (overlap "never", no recorded old key, or the old key
 * is in use again).
 */
export function rotationSettled(
  record: RotationRecord | undefined,
  facts: Pick<RotationFacts, 'inUseKeyId' | 'overlapDays'>,
): boolean {
  if (!record || record.step === 'old_removed' || record.step === 'failed' || record.step === 'rolled_back')
    return true;
  return record.step === 'switched' && oldKeyToRemove(record, facts) === undefined;
}

/** The recorded old key this switched rotation still has to remove after `overlapDays`, if any. */
function oldKeyToRemove(
  record: RotationRecord,
  facts: Pick<RotationFacts, 'inUseKeyId' | 'overlapDays'>,
): { keyId: string; overlapDays: number } | undefined {
  const { oldKeyId } = record;
  if (facts.overlapDays === 'never' || oldKeyId === undefined || oldKeyId === facts.inUseKeyId) return undefined;
  return { keyId: oldKeyId, overlapDays: facts.overlapDays };
}

/** A password of this rotation other than its new one and the one in use: a losing run's leftover. */
function leftoverOf(record: RotationRecord, facts: RotationFacts): GraphPassword | undefined {
  return facts.graphPasswords.find(
    (password) =>
      carriesRotationId(password, record.rotationId) &&
      password.keyId !== record.newKeyId &&
      password.keyId !== facts.inUseKeyId,
  );
}

function decideAfterSwitch(record: RotationRecord, facts: RotationFacts): RotationAction {
  const leftover = leftoverOf(record, facts);
  if (leftover) return { kind: 'removeLeftover', keyId: leftover.keyId };
  const old = record.step === 'switched' ? oldKeyToRemove(record, facts) : undefined;
  if (!old) return decideStart(record, facts);
  const switchedAt = record.stepTimestamps.switched ?? lastStepAt(record);
  const removeAfter = record.removeAfter ?? addDays(switchedAt, old.overlapDays);
  if (facts.now.getTime() < removeAfter.getTime()) return { kind: 'wait', until: removeAfter };
  // Only once Key Vault provably uses the new password (and Graph still lists it) may the old one go:
  // an unknown in-use key might be the old one, and removing it would leave no working password.
  const newKeyListed = facts.graphPasswords.some((password) => password.keyId === record.newKeyId);
  if (record.newKeyId === undefined || facts.inUseKeyId !== record.newKeyId || !newKeyListed) {
    return { kind: 'blocked', reason: 'in_use_unknown' };
  }
  return { kind: 'removeOld', keyId: old.keyId, after: removeAfter };
}

function decideVerification(record: RotationRecord, newKeyId: string, facts: RotationFacts): RotationAction {
  const storedAt = record.stepTimestamps.stored ?? lastStepAt(record);
  const deadline = storedAt.getTime() + facts.verifyDeadlineMinutes * 60_000;
  const triedAfterDeadline =
    record.lastVerifyAttemptAt !== undefined && record.lastVerifyAttemptAt.getTime() >= deadline;
  // One last attempt after the deadline: a run that resumes late must not roll back a secret that now works.
  if (facts.now.getTime() >= deadline && triedAfterDeadline) return { kind: 'rollBack', removeKeyId: newKeyId };
  return { kind: 'verify' };
}

function decidePlanned(record: RotationRecord, ours: readonly GraphPassword[], facts: RotationFacts): RotationAction {
  const orphan = ours[0];
  if (orphan) return { kind: 'adoptOrphan', keyId: orphan.keyId };
  return {
    kind: 'addPassword',
    displayName: rotationDisplayName(record.rotationId),
    endDateTime: rotationEndDate(facts.now, facts.policyMaxLifetimeDays),
  };
}

export function nextRotationAction(record: RotationRecord | undefined, facts: RotationFacts): RotationAction {
  if (!record || record.step === 'failed' || record.step === 'rolled_back') return decideStart(record, facts);
  if (record.step === 'old_removed' || record.step === 'switched') return decideAfterSwitch(record, facts);
  const newKeyId = record.newKeyId;
  // A record past 'planned' without its keyId cannot be trusted: start the step over from what Graph shows.
  if (record.step === 'planned' || newKeyId === undefined) {
    const ours = facts.graphPasswords.filter((password) => carriesRotationId(password, record.rotationId));
    return decidePlanned(record, ours, facts);
  }
  const newKeyPresent = facts.graphPasswords.some((password) => password.keyId === newKeyId);
  // Key Vault already names the new key (another run switched, or a crash after the switch): only the record
  // is behind. Checked before 'added', whose answer would otherwise remove the password in use.
  if (facts.inUseKeyId === newKeyId) return { kind: 'switch' };
  if (record.step === 'added') {
    if (newKeyPresent && facts.newSecretInHand === true) return { kind: 'storeSecret' };
    // The secret text exists only in the run that added it: in a later run (crash before or right after the
    // Key Vault write) remove the password and add again; a staged, unswitched copy is never in use.
    return { kind: 'adoptOrphan', keyId: newKeyId };
  }
  if (!newKeyPresent) return { kind: 'rollBack', removeKeyId: newKeyId };
  return record.step === 'verified' ? { kind: 'switch' } : decideVerification(record, newKeyId, facts);
}

export type RotationEvent =
  | { type: 'passwordAdded'; keyId: string; endDateTime: Date }
  | { type: 'orphanRemoved'; keyId: string }
  | { type: 'secretStored'; version: string }
  | { type: 'verifyFailed'; errorCode: string }
  | { type: 'verified' }
  | { type: 'switched'; overlapDays: number | 'never' }
  | { type: 'oldRemoved' }
  | { type: 'rolledBack'; errorCode: string }
  | { type: 'blocked'; reason: RotationBlockedReason }
  /** A transient failure (429, 5xx, timeout): the step stays, the next run resumes it. */
  | { type: 'stepFailed'; errorCode: string };

function moveTo(record: RotationRecord, step: RotationStep, now: Date): RotationRecord {
  return { ...record, step, stepTimestamps: { ...record.stepTimestamps, [step]: now } };
}

/** The record after an action's outcome; the caller saves it before asking for the next action. */
export function applyRotationEvent(record: RotationRecord, event: RotationEvent, now: Date): RotationRecord {
  switch (event.type) {
    case 'passwordAdded':
      return { ...moveTo(record, 'added', now), newKeyId: event.keyId, newEndDateTime: event.endDateTime };
    case 'orphanRemoved': {
      const { newKeyId: _removed, newEndDateTime: _end, ...rest } = record;
      return moveTo(rest, 'planned', now);
    }
    case 'secretStored':
      return { ...moveTo(record, 'stored', now), newSecretVersion: event.version };
    case 'verifyFailed':
      return {
        ...record,
        verifyAttempts: record.verifyAttempts + 1,
        lastVerifyAttemptAt: now,
        lastError: event.errorCode,
      };
    case 'verified':
      return {
        ...moveTo(record, 'verified', now),
        verifyAttempts: record.verifyAttempts + 1,
        lastVerifyAttemptAt: now,
      };
    case 'switched':
      return {
        ...moveTo(record, 'switched', now),
        ...(event.overlapDays === 'never' ? {} : { removeAfter: addDays(now, event.overlapDays) }),
      };
    case 'oldRemoved':
      return moveTo(record, 'old_removed', now);
    case 'rolledBack':
      return { ...moveTo(record, 'rolled_back', now), lastError: event.errorCode };
    case 'blocked':
      return { ...moveTo(record, 'failed', now), blockedReason: event.reason, lastError: event.reason };
    case 'stepFailed':
      return { ...record, lastError: event.errorCode };
  }
}
