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
import { GraphRequestError } from '../../adapters/graphClient.js';
import type { AddedPassword, AppPasswordCredential, AppRegistration, AppRegistrationDirectory } from '../../adapters/graphApplications.js';
import type { MsalOAuthClient } from '../../adapters/msalOAuthClient.js';
import { StoreConflictError } from '../../adapters/storeErrors.js';
import type { Config } from '../../config.js';
import {
  applyRotationEvent,
  newRotationRecord,
  nextRotationAction,
  type GraphPassword,
  type RotationBlockedReason,
  type RotationEvent,
  type RotationRecord,
  type RotationStep,
} from '../../domain/monitor/rotationPlan.js';
import { addDays } from '../../domain/monitor/expiryPolicy.js';
import type { Logger } from '../../logger.js';
import type { RotationStore, SecretStore, StoredRotation } from '../../ports.js';
import { identifyInUseCredential, type InUseCredential } from './inUseCredential.js';

export type RotationEventKind =
  | 'started'
  | 'added'
  | 'orphan_removed'
  | 'stored'
  | 'verified'
  | 'switched'
  | 'old_removed'
  | 'rolled_back'
  | 'blocked'
  | 'waiting';

export interface RotationOutcomeEvent {
  kind: RotationEventKind;
  at: Date;
  keyId?: string;
  /** A stable code (blocked reason, error code), never upstream text. */
  reason?: string;
}

export interface RotationOutcome {
  appId: string;
  /** The rotation's step after this run; 'idle' when the app has never been rotated. */
  step: RotationStep | 'idle';
  rotationId?: string;
  events: RotationOutcomeEvent[];
  /** When nothing is due: the day the next rotation starts. */
  plannedFor?: Date;
  blockedReason?: RotationBlockedReason | 'in_use_unknown' | 'old_secret_in_use';
  /** The transient failure that stopped this run (the next run resumes), as a stable code. */
  lastError?: string;
  newKeyId?: string;
  removedKeyId?: string;
  /** Every rotation of the app, newest first. */
  history: RotationRecord[];
}

export interface RotationService {
  /** `app`: the registration the monitor already read (saves a Graph call); read here otherwise. */
  advance(input: { runId: string; now: Date; app?: AppRegistration }): Promise<RotationOutcome>;
}

export type SecretVerifier = Pick<MsalOAuthClient, 'verifyClientSecret'>;

export interface RotationServiceDependencies {
  config: Pick<Config, 'oauthClientId' | 'oauthClientSecretName' | 'rotationMode' | 'rotationLeadDays' | 'rotationOverlapDays'>;
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

/** A stable code for a failure: `graph_429`, `keyvault_409`, … — never the upstream message. */
function errorCodeOf(error: unknown, service: 'graph' | 'keyvault' | 'table'): string {
  // The Graph client reports a lost connection (timeout, reset) with a status of 0 or -1.
  if (error instanceof GraphRequestError) return error.failure.status <= 0 ? 'graph_no_answer' : `graph_${error.failure.status}`;
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

export function createRotationService(deps: RotationServiceDependencies): RotationService {
  const { config, secretStore, rotationStore, appDirectory, secretVerifier, logger } = deps;
  const appId = config.oauthClientId;
  const secretName = config.oauthClientSecretName;
  const stagingName = stagingSecretName(secretName);
  const wait = deps.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const verifyBackoffMs = deps.verifyBackoffMs ?? DEFAULT_VERIFY_BACKOFF_MS;
  const verifyDeadlineMinutes = deps.verifyDeadlineMinutes ?? DEFAULT_VERIFY_DEADLINE_MINUTES;

  /** Reads the secret in use and, for a hand-stored one identified by its hint alone, tags it (DESIGN §6). */
  async function findInUse(passwords: readonly AppPasswordCredential[]): Promise<InUseCredential> {
    const current = await secretStore.getSecret(secretName);
    const inUse = identifyInUseCredential(
      current,
      passwords.map((password) => ({ keyId: password.keyId, hint: password.hint, endDateTime: new Date(password.endDateTime) })),
    );
    if (current !== undefined && inUse.kind === 'known' && inUse.source === 'hint') {
      await secretStore.updateSecretTags(secretName, current.version, { ...current.tags, appId, keyId: inUse.keyId, managedBy: 'keyrelay' });
      logger.info('rotation.in_use_tagged', { appId, keyId: inUse.keyId });
    }
    return inUse;
  }

  async function plannedOnly(app: AppRegistration, now: Date): Promise<RotationOutcome> {
    const inUse = await findInUse(app.passwordCredentials);
    const history = await rotationStore.listHistory(appId);
    const current = await rotationStore.get(appId);
    const endOf = (keyId: string) => app.passwordCredentials.find((password) => password.keyId === keyId)?.endDateTime;
    const end = inUse.kind === 'known' ? endOf(inUse.keyId) : inUse.kind === 'ambiguous' ? inUse.earliest.endDateTime.toISOString() : undefined;
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
      const log = (event: string, properties: Record<string, string | number | undefined> = {}) =>
        logger.info(event, { appId, runId, rotationId: stored?.record.rotationId, ...properties });

      async function save(record: RotationRecord, event: RotationEvent): Promise<RotationRecord> {
        const next = applyRotationEvent(record, event, now);
        if (!stored) throw new Error('rotation record missing');
        try {
          stored = await rotationStore.update(next, stored.etag);
        } catch (error) {
          if (error instanceof StoreConflictError) {
            // Another run advanced the rotation first: it wins; this run stops without undoing its work.
            log('rotation.concurrent_run', { step: record.step });
            throw new RunStop('concurrent_run');
          }
          throw new RunStop(errorCodeOf(error, 'table'));
        }
        return next;
      }

      async function recordFailure(record: RotationRecord, errorCode: string): Promise<never> {
        logger.warn('rotation.step_failed', { appId, runId, rotationId: record.rotationId, step: record.step, errorCode });
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

      async function removePassword(keyId: string): Promise<'removed' | 'not_found'> {
        const result = await appDirectory.removePassword(app.id, keyId);
        passwords = passwords.filter((password) => password.keyId !== keyId);
        return result;
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
          await recordFailure(record, errorCodeOf(error, 'graph'));
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
          const inUseKeyId = inUse.kind === 'known' ? inUse.keyId : inUse.kind === 'ambiguous' ? inUse.earliest.keyId : undefined;
          const record = stored?.record;
          const action = nextRotationAction(record, {
            now,
            graphPasswords: toGraphPasswords(passwords),
            inUseKeyId,
            leadDays: config.rotationLeadDays,
            overlapDays: config.rotationOverlapDays,
            verifyDeadlineMinutes,
            newSecretInHand: secretInHand !== undefined && secretInHand.keyId === record?.newKeyId,
          });

          if (action.kind === 'start') {
            if (stored) await rotationStore.close(appId, stored.etag);
            // An ambiguous hint names no password for sure: the rotation may never remove any of them.
            const fresh = newRotationRecord({ appId, oldKeyId: inUse.kind === 'known' ? inUse.keyId : undefined, now });
            try {
              stored = await rotationStore.create(fresh);
            } catch (error) {
              if (error instanceof StoreConflictError) throw new RunStop('concurrent_run');
              throw error;
            }
            events.push({ kind: 'started', at: now });
            log('rotation.started', { oldKeyId: fresh.oldKeyId });
            continue;
          }
          if (action.kind === 'wait') {
            const active = record !== undefined && !['old_removed', 'failed', 'rolled_back'].includes(record.step);
            if (!active) plannedFor = action.until;
            events.push({ kind: 'waiting', at: now });
            break;
          }
          if (action.kind === 'done') break;
          if (action.kind === 'blocked') {
            blockedReason = action.reason;
            events.push({ kind: 'blocked', at: now, reason: action.reason });
            break;
          }
          if (!record) throw new Error(`rotation action ${action.kind} without a record`);

          switch (action.kind) {
            case 'addPassword': {
              let added: AddedPassword;
              try {
                added = await appDirectory.addPassword(app.id, { displayName: action.displayName, endDateTime: action.endDateTime.toISOString() });
              } catch (error) {
                const reason = blockedReasonOf(error);
                if (reason) await block(record, reason);
                // A timeout may have created the password: the next run finds it by its displayName.
                return await recordFailure(record, errorCodeOf(error, 'graph'));
              }
              secretInHand = { keyId: added.keyId, text: added.secretText };
              passwords.push({ keyId: added.keyId, displayName: action.displayName, hint: added.hint, startDateTime: null, endDateTime: added.endDateTime });
              try {
                await save(record, { type: 'passwordAdded', keyId: added.keyId, endDateTime: new Date(added.endDateTime) });
              } catch (stop) {
                // Unrecorded, the password would be an orphan of ours: take it back at once (the next run would too).
                await removePassword(added.keyId).catch(() => undefined);
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
                return await recordFailure(record, errorCodeOf(error, 'graph'));
              }
              await save(record, { type: 'orphanRemoved', keyId: action.keyId });
              events.push({ kind: 'orphan_removed', at: now, keyId: action.keyId });
              log('rotation.orphan_removed', { keyId: action.keyId });
              break;
            }
            case 'storeSecret': {
              if (!secretInHand || record.newKeyId === undefined) throw new Error('storeSecret without the secret in hand');
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
                logger.warn('rotation.verify_failed', { appId, runId, rotationId: record.rotationId, errorCode: verification.errorCode });
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
                return await recordFailure(record, errorCodeOf(error, 'graph'));
              }
              await save(record, { type: 'oldRemoved' });
              removedKeyId = action.keyId;
              events.push({ kind: 'old_removed', at: now, keyId: action.keyId, ...(result === 'not_found' ? { reason: 'already_removed' } : {}) });
              log('rotation.old_removed', { keyId: action.keyId, result });
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
      }

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
