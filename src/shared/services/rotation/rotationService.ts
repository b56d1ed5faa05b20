// Automatic client-secret rotation (issue 7, DESIGN §6) as a use case. The monitor calls `advance` once
// per run; each call walks the persisted state machine (src/shared/domain/monitor/rotationPlan.ts) as far
// as it can: ask the domain for the next action, perform its I/O, save the record (ETag-guarded), ask again.
// A crash at any point resumes from the record plus the Graph credential list.
//
// Invariant I1 (the current Key Vault secret always authenticates) decides the order of writes. Writing a
// new version of OAUTH_CLIENT_SECRET_NAME makes it "latest" at once, and every token-service instance
// that meets invalid_client reloads "latest": a new secret that Entra does not accept yet would lock
// everyone out. So the new secret is first stored under a staging name (`<name>-next`), verified from
// there, and only then written as the new version of the real name ("switch"). Until the switch the real
// name's latest version is the old secret, untouched. A roll-back therefore never rewrites Key Vault: it
// removes the new password from the app, and the staged copy (now worthless) is overwritten by the next
// rotation. The staged copy carries no expiry, so the monitor does not report it as a second credential.
//
// Concurrent runs (a second timer instance, a manual run): before its first Graph or Key Vault action a run
// takes the record's lease with an ETag-checked write; a run that finds a live lease of another run, or
// loses that write, stops quietly. As a second line of defence no password is removed while the Key Vault
// secret names it.
import {
  type AddedPassword,
  type AppPasswordCredential,
  type AppRegistration,
  type AppRegistrationDirectory,
  GraphRequestError,
  type OAuthClient,
  type RotationStore,
  type SecretStore,
  StoreConflictError,
  type StoredRotation,
} from '#src/shared/ports/index.js';
import type { Config } from '#src/shared/config.js';
import {
  applyRotationEvent,
  leasedToOtherRun,
  newRotationLease,
  newRotationRecord,
  nextRotationAction,
  rotationEndDate,
  rotationSettled,
  type GraphPassword,
  type RotationBlockedReason,
  type RotationEvent,
  type RotationRecord,
} from '#src/shared/domain/monitor/rotationPlan.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import {
  effectivePasswordPolicy,
  shorterLifetimeDays,
  type PasswordPolicy,
} from '#src/shared/domain/monitor/passwordPolicy.js';
import type { Logger } from '#src/shared/logger.js';
import { identifyInUseCredential, type InUseCredential } from './inUseCredential.js';
import type { RotationAdvancer, RotationOutcome, RotationOutcomeEvent } from '#src/shared/ports/rotationOutcome.js';

export type {
  RotationAdvancer,
  RotationEventKind,
  RotationOutcome,
  RotationOutcomeEvent,
} from '#src/shared/ports/rotationOutcome.js';

/** The use case: the monitor's RotationAdvancer. */
export type RotationService = RotationAdvancer;

export type SecretVerifier = Pick<OAuthClient, 'verifyClientSecret'>;

export interface RotationServiceDependencies {
  config: Pick<
    Config,
    'oauthClientId' | 'oauthClientSecretName' | 'rotationMode' | 'rotationLeadDays' | 'rotationOverlapDays'
  >;
  secretStore: SecretStore;
  rotationStore: RotationStore<RotationRecord>;
  appDirectory: AppRegistrationDirectory;
  secretVerifier: SecretVerifier;
  logger: Logger;
  /** Waits between verification attempts; tests inject one that moves their clocks instead of sleeping. */
  wait?: (ms: number) => Promise<void>;
  /** Pauses before each retry of the verification within one run (a new secret takes seconds to minutes). */
  verifyBackoffMs?: readonly number[];
  /** Verification may keep failing this long after the secret was stored before the rotation rolls back. */
  verifyDeadlineMinutes?: number;
}

/** About three minutes of retries within a run; the next run tries again until the deadline. */
export const DEFAULT_VERIFY_BACKOFF_MS: readonly number[] = [2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 60_000];
export const DEFAULT_VERIFY_DEADLINE_MINUTES = 60;
/** Enough for the longest walk (orphan, add, store, verify, switch, remove) with room; a guard against a loop. */
const MAX_ACTIONS_PER_RUN = 16;
const TEXT_PLAIN = 'text/plain';

export function stagingSecretName(secretName: string): string {
  return `${secretName}-next`;
}

const POLICY_CODES: Readonly<Record<string, RotationBlockedReason>> = {
  CredentialInvalidLifetimeAsPerAppPolicy: 'policy_lifetime',
  CredentialTypeNotAllowedAsPerAppPolicy: 'policy_forbidden',
};

/** Tenant policy and missing permissions: the admin must act, retrying cannot help. */
function blockedReasonOf(error: unknown): RotationBlockedReason | undefined {
  if (!(error instanceof GraphRequestError)) return undefined;
  const policy = POLICY_CODES[error.failure.code];
  if (policy !== undefined) return policy;
  return error.failure.status === 403 ? 'permission_denied' : undefined;
}

const isLifetimeRefusal = (error: unknown): boolean =>
  error instanceof GraphRequestError && error.failure.code === 'CredentialInvalidLifetimeAsPerAppPolicy';

/** No answer, or a 5xx: the call may have taken effect (Graph commits, then a gateway times out). */
const isUncertain = (error: unknown): boolean =>
  error instanceof GraphRequestError && (error.failure.status <= 0 || error.failure.status >= 500);

const DAY_MS = 86_400_000;

/** A stable code for a failure: `graph_429`, `keyvault_409`, … — never the upstream message. */
function errorCodeOf(error: unknown, service: 'graph' | 'keyvault' | 'table'): string {
  // The Graph client reports a lost connection (timeout, reset) with a status of 0 or -1.
  if (error instanceof GraphRequestError)
    return error.failure.status <= 0 ? 'graph_no_answer' : `graph_${error.failure.status}`;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') return `${service}_${status}`;
  return `${service}_failed`;
}

function toGraphPasswords(passwords: readonly AppPasswordCredential[]): GraphPassword[] {
  return passwords.map((password) => ({
    keyId: password.keyId,
    displayName: password.displayName,
    endDateTime: new Date(password.endDateTime),
  }));
}

/** Stops the walk for this run; the record says where the next run resumes. */
class RunStop extends Error {
  constructor(readonly lastError?: string) {
    super(`rotation run stopped${lastError ? `: ${lastError}` : ''}`);
    this.name = 'RunStop';
  }
}

/** Another run holds or took the rotation: not a failure, that run carries on. */
class ConcurrentRunStop extends RunStop {
  constructor() {
    super();
    this.name = 'ConcurrentRunStop';
  }
}

/** The live check refused a removal: recorded on the rotation like a failed step, never retried blindly. */
class RemovalRefusedError extends Error {
  readonly code = 'remove_refused_in_use';
  constructor() {
    super('removal refused: the Key Vault secret names this password');
    this.name = 'RemovalRefusedError';
  }
}

function removalErrorCode(error: unknown): string {
  if (error instanceof RunStop) return error.lastError ?? 'graph_failed';
  if (error instanceof RemovalRefusedError) return error.code;
  return errorCodeOf(error, 'graph');
}

/** Rethrows a stop; any other error becomes the step's failure code. */
function failureCode(error: unknown, service: 'graph' | 'keyvault'): string {
  if (error instanceof RunStop) throw error;
  if (error instanceof RemovalRefusedError) return error.code;
  return errorCodeOf(error, service);
}

export function createRotationService(deps: RotationServiceDependencies): RotationService {
  const { config, secretStore, rotationStore, appDirectory, secretVerifier, logger } = deps;
  const appId = config.oauthClientId;
  const secretName = config.oauthClientSecretName;
  const stagingName = stagingSecretName(secretName);
  const wait = deps.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const verifyBackoffMs = deps.verifyBackoffMs ?? DEFAULT_VERIFY_BACKOFF_MS;
  const verifyDeadlineMinutes = deps.verifyDeadlineMinutes ?? DEFAULT_VERIFY_DEADLINE_MINUTES;

  function identify(
    current: Parameters<typeof identifyInUseCredential>[0],
    passwords: readonly AppPasswordCredential[],
  ): InUseCredential {
    return identifyInUseCredential(
      current,
      passwords.map((password) => ({
        keyId: password.keyId,
        hint: password.hint,
        endDateTime: new Date(password.endDateTime),
      })),
    );
  }

  /** Versions whose tags could not be written: not tried again on every step (each try is a Key Vault write). */
  const untaggableVersions = new Set<string>();

  /** Reads the secret in use and, for a hand-stored one identified by its hint alone, tags it (DESIGN §6). */
  async function findInUse(passwords: readonly AppPasswordCredential[]): Promise<InUseCredential> {
    const current = await secretStore.getSecret(secretName);
    const inUse = identify(current, passwords);
    if (
      current !== undefined &&
      inUse.kind === 'known' &&
      inUse.source === 'hint' &&
      !untaggableVersions.has(current.version)
    ) {
      try {
        await secretStore.updateSecretTags(secretName, current.version, {
          ...current.tags,
          appId,
          keyId: inUse.keyId,
          managedBy: 'keyrelay',
        });
        logger.info('rotation.in_use_tagged', { appId, keyId: inUse.keyId });
      } catch (error) {
        // No room for our tags (Key Vault allows 15) or no right to write them: the hint identifies the
        // secret on every run, and the rotation record keeps the keyId; the switch writes a tagged version.
        untaggableVersions.add(current.version);
        logger.warn('rotation.in_use_untagged', {
          appId,
          keyId: inUse.keyId,
          errorCode: errorCodeOf(error, 'keyvault'),
        });
      }
    }
    return inUse;
  }

  async function plannedOnly(app: AppRegistration, now: Date): Promise<RotationOutcome> {
    const inUse = await findInUse(app.passwordCredentials);
    const history = await rotationStore.listHistory(appId);
    const current = await rotationStore.get(appId);
    const endOf = (keyId: string) => app.passwordCredentials.find((password) => password.keyId === keyId)?.endDateTime;
    const end =
      inUse.kind === 'known'
        ? endOf(inUse.keyId)
        : inUse.kind === 'ambiguous'
          ? inUse.earliest.endDateTime.toISOString()
          : undefined;
    const plannedFor = end === undefined ? undefined : addDays(new Date(end), -config.rotationLeadDays);
    return {
      appId,
      step: current?.record.step ?? 'idle',
      ...(current ? { rotationId: current.record.rotationId } : {}),
      events: [{ kind: 'waiting', at: now, reason: 'alert_only' }],
      ...(plannedFor ? { plannedFor } : {}),
      ...(inUse.kind === 'unknown' ? { blockedReason: 'in_use_unknown' as const } : {}),
      history,
    };
  }

  return {
    async advance({ runId, now: runStartedAt, app: givenApp }) {
      let app: AppRegistration;
      try {
        app = givenApp ?? (await appDirectory.getApplication(appId));
      } catch (error) {
        const reason = blockedReasonOf(error);
        const lastError = errorCodeOf(error, 'graph');
        logger.warn('rotation.app_unreadable', { appId, runId, errorCode: lastError });
        const current = await rotationStore.get(appId);
        return {
          appId,
          step: current?.record.step ?? 'idle',
          ...(current ? { rotationId: current.record.rotationId } : {}),
          events: reason ? [{ kind: 'blocked', at: runStartedAt, reason }] : [],
          ...(reason ? { blockedReason: reason } : { lastError }),
          history: await rotationStore.listHistory(appId),
        };
      }
      if (config.rotationMode === 'alert-only') return plannedOnly(app, runStartedAt);

      let passwords = [...app.passwordCredentials];
      let stored: StoredRotation<RotationRecord> | undefined = await rotationStore.get(appId);
      if (leasedToOtherRun(stored?.record, runId, runStartedAt)) {
        logger.info('rotation.concurrent_run', {
          appId,
          runId,
          rotationId: stored?.record.rotationId,
          step: stored?.record.step,
        });
        return {
          appId,
          step: stored?.record.step ?? 'idle',
          ...(stored ? { rotationId: stored.record.rotationId } : {}),
          events: [{ kind: 'waiting', at: runStartedAt, reason: 'concurrent_run' }],
          history: await rotationStore.listHistory(appId),
        };
      }
      let now = runStartedAt;
      /** The new secret's text exists only in the run that added it (and in the staged Key Vault copy). */
      let secretInHand: { keyId: string; text: string } | undefined;
      let verifiedThisRun = false;
      const events: RotationOutcomeEvent[] = [];
      let plannedFor: Date | undefined;
      let blockedReason: RotationOutcome['blockedReason'];
      let lastError: string | undefined;
      let newKeyId: string | undefined;
      let removedKeyId: string | undefined;
      let lostRace = false;
      /** Read once per run, when a password is about to be added; undefined when Graph would not tell. */
      let passwordPolicy: PasswordPolicy | undefined | 'unread' = 'unread';
      let recheckedUncertainAdd = false;
      const log = (event: string, properties: Record<string, string | number | undefined> = {}) =>
        logger.info(event, { appId, runId, rotationId: stored?.record.rotationId, ...properties });

      function concurrentRun(step: string): ConcurrentRunStop {
        log('rotation.concurrent_run', { step });
        events.push({ kind: 'waiting', at: now, reason: 'concurrent_run' });
        return new ConcurrentRunStop();
      }

      async function write(next: RotationRecord, etag: string): Promise<void> {
        try {
          stored = await rotationStore.update(next, etag);
        } catch (error) {
          // Another run took the rotation first: it wins; this run stops without undoing its work.
          if (error instanceof StoreConflictError) throw concurrentRun(next.step);
          throw new RunStop(errorCodeOf(error, 'table'));
        }
      }

      /** Saves the step and renews this run's lease, so a long run (verification retries) keeps it. */
      async function save(record: RotationRecord, event: RotationEvent): Promise<RotationRecord> {
        const next = { ...applyRotationEvent(record, event, now), lease: newRotationLease(runId, now) };
        if (!stored) throw new Error('rotation record missing');
        await write(next, stored.etag);
        return next;
      }

      /** The current record with this run's lease, taken (ETag-checked) if this run does not hold it yet. */
      async function holdLease(): Promise<RotationRecord> {
        if (!stored) throw new Error('rotation record missing');
        if (stored.record.lease?.runId === runId) return stored.record;
        const leased = { ...stored.record, lease: newRotationLease(runId, runStartedAt) };
        await write(leased, stored.etag);
        return leased;
      }

      async function releaseLease(): Promise<void> {
        if (!stored || stored.record.lease?.runId !== runId) return;
        const { lease: _released, ...rest } = stored.record;
        try {
          stored = await rotationStore.update(rest, stored.etag);
        } catch (error) {
          // The lease lapses on its own; only the next run within ROTATION_LEASE_MINUTES waits.
          logger.warn('rotation.lease_release_failed', { appId, runId, errorCode: errorCodeOf(error, 'table') });
        }
      }

      async function recordFailure(record: RotationRecord, errorCode: string): Promise<never> {
        logger.warn('rotation.step_failed', {
          appId,
          runId,
          rotationId: record.rotationId,
          step: record.step,
          errorCode,
        });
        await save(record, { type: 'stepFailed', errorCode }).catch(() => undefined);
        throw new RunStop(errorCode);
      }

      async function block(record: RotationRecord, reason: RotationBlockedReason): Promise<never> {
        logger.warn('rotation.blocked', { appId, runId, rotationId: record.rotationId, reason });
        events.push({ kind: 'blocked', at: now, reason });
        blockedReason = reason;
        await save(record, { type: 'blocked', reason });
        throw new RunStop();
      }

      /** Removes a password unless the Key Vault secret names it right now (read fresh: records can be stale). */
      async function removePassword(keyId: string): Promise<'removed' | 'not_found'> {
        let inUseNow: InUseCredential;
        try {
          inUseNow = identify(await secretStore.getSecret(secretName), passwords);
        } catch (error) {
          throw new RunStop(errorCodeOf(error, 'keyvault'));
        }
        const protectedKeyIds =
          inUseNow.kind === 'known' ? [inUseNow.keyId] : inUseNow.kind === 'ambiguous' ? inUseNow.keyIds : [];
        if (protectedKeyIds.includes(keyId)) {
          logger.error('rotation.remove_refused_in_use', {
            appId,
            runId,
            rotationId: stored?.record.rotationId,
            keyId,
          });
          throw new RemovalRefusedError();
        }
        const result = await appDirectory.removePassword(app.id, keyId);
        passwords = passwords.filter((password) => password.keyId !== keyId);
        return result;
      }

      async function readPasswordPolicy(): Promise<PasswordPolicy | undefined> {
        if (passwordPolicy !== 'unread') return passwordPolicy;
        try {
          passwordPolicy = effectivePasswordPolicy(await appDirectory.getAppManagementPolicies(app.id));
        } catch (error) {
          // Reading policies takes Policy.Read.All; without it a refusal tells us there is a cap.
          logger.warn('rotation.policy_unreadable', { appId, runId, errorCode: errorCodeOf(error, 'graph') });
          passwordPolicy = undefined;
        }
        return passwordPolicy;
      }

      /**
       * addPassword for the longest lifetime the tenant allows: the policy's cap when it can be read, and
       * once more with a shorter lifetime when Graph refuses the first as too long.
       */
      async function addPolicyAwarePassword(displayName: string, plannedEnd: Date): Promise<AddedPassword> {
        const policy = await readPasswordPolicy();
        if (policy?.forbidden) {
          throw new GraphRequestError({ status: 400, code: 'CredentialTypeNotAllowedAsPerAppPolicy' });
        }
        const end = policy?.maxLifetimeDays !== undefined ? rotationEndDate(now, policy.maxLifetimeDays) : plannedEnd;
        const add = (endDateTime: Date) =>
          appDirectory.addPassword(app.id, { displayName, endDateTime: endDateTime.toISOString() });
        try {
          return await add(end);
        } catch (error) {
          const shorter = isLifetimeRefusal(error)
            ? shorterLifetimeDays(Math.floor((end.getTime() - now.getTime()) / DAY_MS), policy?.maxLifetimeDays)
            : undefined;
          if (shorter === undefined) throw error;
          log('rotation.lifetime_shortened', { days: shorter });
          return await add(addDays(now, shorter));
        }
      }

      async function stagedSecretText(record: RotationRecord): Promise<string | undefined> {
        if (secretInHand && secretInHand.keyId === record.newKeyId) return secretInHand.text;
        if (record.newSecretVersion === undefined) return undefined;
        const staged = await secretStore.getSecretVersion(stagingName, record.newSecretVersion);
        return staged !== undefined && staged.tags.keyId === record.newKeyId ? staged.value : undefined;
      }

      /** Tries the new secret with bounded backoff; true once Entra accepts it. */
      async function verifyWithBackoff(text: string): Promise<{ ok: boolean; errorCode: string }> {
        let errorCode = 'verify_failed';
        for (let attempt = 0; ; attempt++) {
          const result = await secretVerifier.verifyClientSecret(text);
          if (result.ok) return { ok: true, errorCode: '' };
          const { failure } = result;
          errorCode = `verify_${failure.kind === 'invalid_client' || failure.kind === 'rejected' ? failure.errorCode : failure.kind}`;
          const pause = verifyBackoffMs[attempt];
          if (pause === undefined) return { ok: false, errorCode };
          await wait(pause);
          now = new Date(now.getTime() + pause);
        }
      }

      async function rollBack(record: RotationRecord, keyId: string, errorCode: string): Promise<void> {
        try {
          if (keyId !== '') await removePassword(keyId);
        } catch (error) {
          await recordFailure(record, failureCode(error, 'graph'));
        }
        await save(record, { type: 'rolledBack', errorCode });
        events.push({ kind: 'rolled_back', at: now, keyId, reason: errorCode });
        logger.error('rotation.rolled_back', { appId, runId, rotationId: record.rotationId, keyId, errorCode });
        throw new RunStop(errorCode);
      }

      try {
        for (let actions = 0; actions < MAX_ACTIONS_PER_RUN; actions++) {
          let inUse: InUseCredential;
          try {
            inUse = await findInUse(passwords);
          } catch (error) {
            throw new RunStop(errorCodeOf(error, 'keyvault'));
          }
          const inUseKeyId =
            inUse.kind === 'known' ? inUse.keyId : inUse.kind === 'ambiguous' ? inUse.earliest.keyId : undefined;
          const current = stored?.record;
          const facts = {
            now,
            graphPasswords: toGraphPasswords(passwords),
            inUseKeyId,
            leadDays: config.rotationLeadDays,
            overlapDays: config.rotationOverlapDays,
            verifyDeadlineMinutes,
            newSecretInHand: secretInHand !== undefined && secretInHand.keyId === current?.newKeyId,
          };
          const action = nextRotationAction(current, facts);

          if (action.kind === 'start') {
            try {
              // Both ETag/existence-checked: of two runs starting at once, one closes and creates, the other stops.
              if (stored) await rotationStore.close(appId, stored.etag);
              // An ambiguous hint names no password for sure: the rotation may never remove any of them.
              const fresh = newRotationRecord({
                appId,
                oldKeyId: inUse.kind === 'known' ? inUse.keyId : undefined,
                now,
              });
              stored = await rotationStore.create({ ...fresh, lease: newRotationLease(runId, runStartedAt) });
            } catch (error) {
              if (error instanceof StoreConflictError) throw concurrentRun('planned');
              throw error;
            }
            events.push({ kind: 'started', at: now });
            log('rotation.started', { oldKeyId: stored.record.oldKeyId });
            continue;
          }
          if (action.kind === 'wait') {
            if (rotationSettled(current, facts)) plannedFor = action.until;
            events.push({ kind: 'waiting', at: now });
            break;
          }
          if (action.kind === 'blocked') {
            blockedReason = action.reason;
            events.push({ kind: 'blocked', at: now, reason: action.reason });
            break;
          }
          if (!current) throw new Error(`rotation action ${action.kind} without a record`);
          // Held from here on: every save below renews it, the end of the run releases it.
          const record = await holdLease();

          switch (action.kind) {
            case 'addPassword': {
              let added: AddedPassword;
              try {
                added = await addPolicyAwarePassword(action.displayName, action.endDateTime);
              } catch (error) {
                const reason = blockedReasonOf(error);
                if (reason) await block(record, reason);
                if (isUncertain(error) && !recheckedUncertainAdd) {
                  // The password may exist without its text: read the list again, so the next decision finds
                  // it by its displayName (and removes it) before adding another.
                  recheckedUncertainAdd = true;
                  log('rotation.add_uncertain', { errorCode: errorCodeOf(error, 'graph') });
                  try {
                    passwords = [...(await appDirectory.getApplication(appId)).passwordCredentials];
                    continue;
                  } catch {
                    // Unreadable now: the next run reads the list before anything else.
                  }
                }
                return await recordFailure(record, errorCodeOf(error, 'graph'));
              }
              secretInHand = { keyId: added.keyId, text: added.secretText };
              passwords.push({
                keyId: added.keyId,
                displayName: action.displayName,
                hint: added.hint,
                startDateTime: null,
                endDateTime: added.endDateTime,
              });
              try {
                await save(record, {
                  type: 'passwordAdded',
                  keyId: added.keyId,
                  endDateTime: new Date(added.endDateTime),
                });
              } catch (stop) {
                // Unrecorded, the password would be an orphan of ours: take it back at once. If that fails it
                // carries this rotation's displayName, and the run that owns the rotation removes it.
                await removePassword(added.keyId).catch((error: unknown) => {
                  logger.warn('rotation.unrecorded_remove_failed', {
                    appId,
                    runId,
                    keyId: added.keyId,
                    errorCode: removalErrorCode(error),
                  });
                });
                throw stop;
              }
              newKeyId = added.keyId;
              events.push({ kind: 'added', at: now, keyId: added.keyId });
              log('rotation.password_added', { keyId: added.keyId });
              break;
            }
            case 'adoptOrphan': {
              // Its text is lost (a timeout or a crash before the Key Vault write): remove it and add anew.
              try {
                await removePassword(action.keyId);
              } catch (error) {
                return await recordFailure(record, failureCode(error, 'graph'));
              }
              await save(record, { type: 'orphanRemoved', keyId: action.keyId });
              events.push({ kind: 'orphan_removed', at: now, keyId: action.keyId });
              log('rotation.orphan_removed', { keyId: action.keyId });
              break;
            }
            case 'storeSecret': {
              if (!secretInHand || record.newKeyId === undefined)
                throw new Error('storeSecret without the secret in hand');
              let version: string;
              try {
                ({ version } = await secretStore.setSecret(stagingName, secretInHand.text, {
                  contentType: TEXT_PLAIN,
                  tags: { appId, keyId: record.newKeyId, rotationId: record.rotationId, managedBy: 'keyrelay' },
                }));
              } catch (error) {
                return await recordFailure(record, errorCodeOf(error, 'keyvault'));
              }
              await save(record, { type: 'secretStored', version });
              events.push({ kind: 'stored', at: now, keyId: record.newKeyId });
              log('rotation.secret_staged', { keyId: record.newKeyId });
              break;
            }
            case 'verify': {
              if (verifiedThisRun) {
                events.push({ kind: 'waiting', at: now, reason: record.lastError });
                lastError = record.lastError;
                throw new RunStop(record.lastError);
              }
              verifiedThisRun = true;
              let text: string | undefined;
              try {
                text = await stagedSecretText(record);
              } catch (error) {
                return await recordFailure(record, errorCodeOf(error, 'keyvault'));
              }
              if (text === undefined) {
                // The staged copy is gone: nothing can verify or switch to this password. Take it back.
                await rollBack(record, record.newKeyId ?? '', 'staged_secret_missing');
                break;
              }
              const verification = await verifyWithBackoff(text);
              if (verification.ok) {
                await save(record, { type: 'verified' });
                events.push({ kind: 'verified', at: now, keyId: record.newKeyId });
                log('rotation.verified', { keyId: record.newKeyId });
              } else {
                await save(record, { type: 'verifyFailed', errorCode: verification.errorCode });
                logger.warn('rotation.verify_failed', {
                  appId,
                  runId,
                  rotationId: record.rotationId,
                  errorCode: verification.errorCode,
                });
              }
              break;
            }
            case 'switch': {
              const keyId = record.newKeyId;
              if (keyId === undefined) throw new Error('switch without a new keyId');
              // Already switched (a crash before the record was saved): only the record is behind.
              if (inUseKeyId !== keyId) {
                let text: string | undefined;
                try {
                  text = await stagedSecretText(record);
                  if (text === undefined) {
                    await rollBack(record, keyId, 'staged_secret_missing');
                    break;
                  }
                  await secretStore.setSecret(secretName, text, {
                    contentType: TEXT_PLAIN,
                    tags: { appId, keyId, managedBy: 'keyrelay' },
                    ...(record.newEndDateTime ? { expiresOn: record.newEndDateTime } : {}),
                  });
                } catch (error) {
                  if (error instanceof RunStop) throw error;
                  return await recordFailure(record, errorCodeOf(error, 'keyvault'));
                }
              }
              await save(record, { type: 'switched', overlapDays: config.rotationOverlapDays });
              newKeyId = keyId;
              events.push({ kind: 'switched', at: now, keyId });
              log('rotation.switched', { keyId });
              break;
            }
            case 'removeOld': {
              let result: 'removed' | 'not_found';
              try {
                result = await removePassword(action.keyId);
              } catch (error) {
                return await recordFailure(record, failureCode(error, 'graph'));
              }
              await save(record, { type: 'oldRemoved' });
              removedKeyId = action.keyId;
              events.push({
                kind: 'old_removed',
                at: now,
                keyId: action.keyId,
                ...(result === 'not_found' ? { reason: 'already_removed' } : {}),
              });
              log('rotation.old_removed', { keyId: action.keyId, result });
              break;
            }
            case 'removeLeftover': {
              try {
                await removePassword(action.keyId);
              } catch (error) {
                const errorCode = removalErrorCode(error);
                logger.warn('rotation.leftover_remove_failed', {
                  appId,
                  runId,
                  rotationId: record.rotationId,
                  keyId: action.keyId,
                  errorCode,
                });
                throw new RunStop(errorCode);
              }
              events.push({ kind: 'orphan_removed', at: now, keyId: action.keyId });
              log('rotation.leftover_removed', { keyId: action.keyId });
              break;
            }
            case 'rollBack':
              await rollBack(record, action.removeKeyId, record.lastError ?? 'verify_timeout');
              break;
          }
        }
      } catch (stop) {
        if (!(stop instanceof RunStop)) throw stop;
        lastError = stop.lastError ?? lastError;
        lostRace = stop instanceof ConcurrentRunStop;
      }
      if (!lostRace) await releaseLease();

      const history = await rotationStore.listHistory(appId);
      const final = stored?.record;
      return {
        appId,
        step: final?.step ?? 'idle',
        ...(final ? { rotationId: final.rotationId } : {}),
        events,
        ...(plannedFor ? { plannedFor } : {}),
        ...(blockedReason ? { blockedReason } : {}),
        ...(lastError ? { lastError } : {}),
        ...(newKeyId ? { newKeyId } : {}),
        ...(removedKeyId ? { removedKeyId } : {}),
        history,
      };
    },
  };
}
