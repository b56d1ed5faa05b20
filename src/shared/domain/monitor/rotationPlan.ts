// Client-secret rotation (issue 7, DESIGN §6) as pure decisions: given the persisted record and what Graph
// and Key Vault show now, `nextRotationAction` names the one next step; `applyRotationEvent` records its
// outcome. The caller performs the I/O, saves the record (ETag-guarded) after every step and asks again,
// so a crash at any point resumes from the record plus the Graph credential list.
//
// Invariants kept here: the old secret stays current until the new one is verified; at most one orphan
// password of ours exists (it is removed before another is added); only passwords whose displayName
// carries our rotation id, or the recorded old keyId after the overlap, are ever removed.
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
  | { kind: 'wait'; until: Date }
  | { kind: 'rollBack'; removeKeyId: string }
  | { kind: 'done' }
  | { kind: 'blocked'; reason: RotationBlockedReason | 'in_use_unknown' | 'old_secret_in_use' };

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

export function rotationEndDate(now: Date, policyMaxLifetimeDays?: number): Date {
  return addDays(now, Math.min(MAX_SECRET_LIFETIME_DAYS, policyMaxLifetimeDays ?? MAX_SECRET_LIFETIME_DAYS));
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

function decideAfterSwitch(record: RotationRecord, facts: RotationFacts): RotationAction {
  if (facts.overlapDays === 'never' || record.oldKeyId === undefined) return { kind: 'done' };
  if (record.oldKeyId === facts.inUseKeyId) return { kind: 'blocked', reason: 'old_secret_in_use' };
  const switchedAt = record.stepTimestamps.switched ?? lastStepAt(record);
  const removeAfter = record.removeAfter ?? addDays(switchedAt, facts.overlapDays);
  if (facts.now.getTime() < removeAfter.getTime()) return { kind: 'wait', until: removeAfter };
  return { kind: 'removeOld', keyId: record.oldKeyId, after: removeAfter };
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
  if (!record || record.step === 'old_removed' || record.step === 'failed' || record.step === 'rolled_back') {
    return decideStart(record, facts);
  }
  if (record.step === 'switched') return decideAfterSwitch(record, facts);
  const newKeyId = record.newKeyId;
  // A record past 'planned' without its keyId cannot be trusted: start the step over from what Graph shows.
  if (record.step === 'planned' || newKeyId === undefined) {
    const ours = facts.graphPasswords.filter((password) => carriesRotationId(password, record.rotationId));
    return decidePlanned(record, ours, facts);
  }
  const newKeyPresent = facts.graphPasswords.some((password) => password.keyId === newKeyId);
  if (record.step === 'added') {
    if (newKeyPresent && facts.newSecretInHand === true) return { kind: 'storeSecret' };
    // The secret text exists only in the run that added it: in a later run (crash before or right after the
    // Key Vault write) remove the password and add again; a staged, unswitched copy is never in use.
    return { kind: 'adoptOrphan', keyId: newKeyId };
  }
  // Crash after the switch, before the record was saved: the switch is done, only the record is behind.
  if (facts.inUseKeyId === newKeyId) return { kind: 'switch' };
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
