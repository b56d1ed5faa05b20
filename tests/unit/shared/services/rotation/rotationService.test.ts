import { describe, expect, it } from 'vitest';
import { StoreConflictError, StoreUnavailableError } from '#src/shared/ports/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { rotationDisplayName, type RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import { formatLogLine, type Logger } from '#src/shared/logger.js';
import {
  createRotationService,
  stagingSecretName,
  type RotationServiceDependencies,
} from '#src/shared/services/rotation/rotationService.js';
import { InMemoryRotationStore, InMemorySecretStore } from '../../../../fakes/index.js';
import { gate, withHooks } from '../../../../support/callHooks.js';
import { InMemoryAppDirectory, graphError } from './inMemoryAppDirectory.js';

const APP_ID = 'app-1';
const SECRET_NAME = 'oauth-client-secret';
const T0 = new Date('2026-10-25T06:00:00Z');
const OURS = 'keyrelay rotation';

interface World {
  directory: InMemoryAppDirectory;
  secrets: InMemorySecretStore;
  rotations: InMemoryRotationStore<RotationRecord>;
  logLines: string[];
  waits: number[];
  oldKeyId: string;
  oldSecret: string;
  humanKeyId: string;
  deps: RotationServiceDependencies;
}

async function world(
  options: { oldEnd?: Date; tagged?: boolean; config?: Partial<RotationServiceDependencies['config']> } = {},
): Promise<World> {
  const directory = new InMemoryAppDirectory(APP_ID);
  const old = directory.seedPassword('ActNow', options.oldEnd ?? addDays(T0, 20));
  const human = directory.seedPassword('made in the portal', addDays(T0, 400));
  const secrets = new InMemorySecretStore({ now: () => T0 });
  await secrets.setSecret(SECRET_NAME, old.secretText, {
    tags: options.tagged === false ? {} : { appId: APP_ID, keyId: old.keyId, managedBy: 'keyrelay' },
    expiresOn: options.oldEnd ?? addDays(T0, 20),
  });
  const rotations = new InMemoryRotationStore<RotationRecord>();
  const logLines: string[] = [];
  const logger: Logger = {
    info: (event, properties) => logLines.push(formatLogLine(event, properties)),
    warn: (event, properties) => logLines.push(formatLogLine(event, properties)),
    error: (event, properties) => logLines.push(formatLogLine(event, properties)),
  };
  const waits: number[] = [];
  return {
    directory,
    secrets,
    rotations,
    logLines,
    waits,
    oldKeyId: old.keyId,
    oldSecret: old.secretText,
    humanKeyId: human.keyId,
    deps: {
      config: {
        oauthClientId: APP_ID,
        oauthClientSecretName: SECRET_NAME,
        rotationMode: 'auto',
        rotationLeadDays: 30,
        rotationOverlapDays: 7,
        ...options.config,
      },
      secretStore: secrets,
      rotationStore: rotations,
      appDirectory: directory,
      secretVerifier: directory,
      logger,
      wait: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      verifyBackoffMs: [1_000, 2_000],
      verifyDeadlineMinutes: 60,
    },
  };
}

async function currentSecretAuthenticates(w: World): Promise<boolean> {
  const current = await w.secrets.getSecret(SECRET_NAME);
  return current !== undefined && w.directory.authenticates(current.value);
}

describe('RotationService.advance', () => {
  it('does nothing but plan while the secret in use has more than the lead days left', async () => {
    const w = await world({ oldEnd: addDays(T0, 100) });
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome).toMatchObject({ appId: APP_ID, step: 'idle', plannedFor: addDays(T0, 70) });
    expect(w.directory.calls.addPassword).toBe(0);
    expect(await w.rotations.get(APP_ID)).toBeUndefined();
  });

  it('in alert-only mode never rotates, even when due, and only says when it would', async () => {
    const w = await world({ config: { rotationMode: 'alert-only' } });
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome).toMatchObject({ step: 'idle', plannedFor: addDays(T0, -10) });
    expect(w.directory.calls.addPassword).toBe(0);
    expect(w.secrets.calls.setSecret).toBe(1);
  });

  it('rotates in one run when due: adds, stages, verifies, switches Key Vault to the new secret with its tags and expiry', async () => {
    const w = await world();
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome.events.map((event) => event.kind)).toEqual([
      'started',
      'added',
      'stored',
      'verified',
      'switched',
      'waiting',
    ]);
    expect(outcome.step).toBe('switched');
    const [added] = w.directory.passwordsNamed(OURS);
    expect(added?.displayName).toBe(`${OURS} ${outcome.rotationId}`);
    expect(new Date(added!.endDateTime)).toEqual(addDays(T0, 730));
    const current = await w.secrets.getSecret(SECRET_NAME);
    expect(current).toMatchObject({
      tags: { appId: APP_ID, keyId: added!.keyId, managedBy: 'keyrelay' },
      contentType: 'text/plain',
      expiresOn: addDays(T0, 730),
    });
    expect(current!.value).not.toBe(w.oldSecret);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    expect(outcome.newKeyId).toBe(added!.keyId);
    // The old password stays for the overlap.
    expect(w.directory.keyIds()).toContain(w.oldKeyId);
  });

  it('removes only the recorded old password after the overlap, never one it did not create', async () => {
    const w = await world();
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    const early = await service.advance({ runId: 'run-2', now: addDays(T0, 6) });
    expect(early.step).toBe('switched');
    expect(w.directory.keyIds()).toContain(w.oldKeyId);
    const late = await service.advance({ runId: 'run-3', now: addDays(T0, 7) });
    expect(late).toMatchObject({ step: 'old_removed', removedKeyId: w.oldKeyId });
    expect(w.directory.keyIds()).not.toContain(w.oldKeyId);
    expect(w.directory.keyIds()).toContain(w.humanKeyId);
    expect(late.plannedFor).toEqual(addDays(T0, 700));
    expect(late.history.map((record) => record.step)).toEqual(['old_removed']);
  });

  it('with overlap "never" keeps the old password for good', async () => {
    const w = await world({ config: { rotationOverlapDays: 'never' } });
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    const later = await service.advance({ runId: 'run-2', now: addDays(T0, 300) });
    expect(later.step).toBe('switched');
    expect(w.directory.keyIds()).toContain(w.oldKeyId);
    expect(w.directory.calls.removePassword).toBe(0);
  });

  it('keeps the old secret current while the new one is refused, retrying with backoff, and switches in a later run', async () => {
    const w = await world();
    w.directory.newPasswordRejections = 4;
    const service = createRotationService(w.deps);
    const first = await service.advance({ runId: 'run-1', now: T0 });
    expect(first.step).toBe('stored');
    expect(first.lastError).toBe('verify_AADSTS7000215');
    expect(w.waits).toEqual([1_000, 2_000]);
    expect((await w.secrets.getSecret(SECRET_NAME))?.value).toBe(w.oldSecret);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    const second = await service.advance({ runId: 'run-2', now: addDays(T0, 0.01) });
    expect(second.step).toBe('switched');
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });

  it('rolls back when verification never succeeds: removes the new password, leaves Key Vault on the old secret', async () => {
    const w = await world();
    w.directory.newPasswordRejections = 1_000;
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    const newKeyId = (await w.rotations.get(APP_ID))?.record.newKeyId;
    const late = await service.advance({ runId: 'run-2', now: addDays(T0, 1) });
    expect(late.step).toBe('rolled_back');
    expect(late.events.at(-1)).toMatchObject({ kind: 'rolled_back', keyId: newKeyId });
    expect(w.directory.keyIds()).not.toContain(newKeyId);
    expect(w.directory.passwordsNamed(OURS)).toEqual([]);
    expect((await w.secrets.getSecret(SECRET_NAME))?.value).toBe(w.oldSecret);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    // A day later it tries again with a fresh rotation.
    w.directory.newPasswordRejections = 0;
    const retry = await service.advance({ runId: 'run-3', now: addDays(T0, 2.1) });
    expect(retry.step).toBe('switched');
    expect(retry.history).toHaveLength(2);
  });

  it.each([
    ['CredentialInvalidLifetimeAsPerAppPolicy', 400, 'policy_lifetime', 2],
    ['CredentialTypeNotAllowedAsPerAppPolicy', 400, 'policy_forbidden', 1],
    ['Authorization_RequestDenied', 403, 'permission_denied', 1],
  ] as const)('records %s as blocked and does not try again the same day', async (code, status, reason, attempts) => {
    const w = await world();
    for (let refusal = 0; refusal < attempts; refusal++) w.directory.failNext('addPassword', graphError(status, code));
    const service = createRotationService(w.deps);
    const first = await service.advance({ runId: 'run-1', now: T0 });
    expect(first).toMatchObject({ step: 'failed', blockedReason: reason });
    const again = await service.advance({ runId: 'run-2', now: addDays(T0, 0.5) });
    expect(again).toMatchObject({ step: 'failed', blockedReason: reason });
    expect(w.directory.calls.addPassword).toBe(attempts);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    const nextDay = await service.advance({ runId: 'run-3', now: addDays(T0, 1) });
    expect(nextDay.step).toBe('switched');
  });

  it('reads the tenant policy cap and asks for a day under it at the first attempt', async () => {
    const w = await world();
    w.directory.policies = {
      appPolicies: [[{ restrictionType: 'passwordLifetime', state: 'enabled', maxLifetime: 'P365D' }]],
    };
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome.step).toBe('switched');
    expect(w.directory.calls.addPassword).toBe(1);
    expect((await w.secrets.getSecret(SECRET_NAME))?.expiresOn).toEqual(addDays(T0, 364));
  });

  it('a cap it cannot read (no Policy.Read.All): the refused lifetime is asked again once, shorter, and the rotation completes', async () => {
    const w = await world();
    w.directory.failNext('getAppManagementPolicies', graphError(403, 'Authorization_RequestDenied'));
    w.directory.failNext('addPassword', graphError(400, 'CredentialInvalidLifetimeAsPerAppPolicy'));
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome.step).toBe('switched');
    expect(w.directory.calls.addPassword).toBe(2);
    expect((await w.secrets.getSecret(SECRET_NAME))?.expiresOn).toEqual(addDays(T0, 89));
    expect(w.logLines.some((line) => line.includes('rotation.policy_unreadable'))).toBe(true);
  });

  it('a tenant policy that forbids passwords blocks the rotation without asking Graph for one', async () => {
    const w = await world();
    w.directory.policies = {
      tenantDefault: [{ restrictionType: 'passwordAddition', state: 'enabled' }],
      appPolicies: [],
    };
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome).toMatchObject({ step: 'failed', blockedReason: 'policy_forbidden' });
    expect(w.directory.calls.addPassword).toBe(0);
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });

  it('a hand-stored secret whose tags cannot be written (no room left) still rotates', async () => {
    const w = await world({ tagged: false });
    w.secrets.failNext('updateSecretTags', Object.assign(new Error('Too many tags'), { statusCode: 400 }));
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome.step).toBe('switched');
    expect(w.logLines.some((line) => line.includes('rotation.in_use_untagged'))).toBe(true);
    expect((await w.secrets.getSecret(SECRET_NAME))?.tags).toMatchObject({
      keyId: outcome.newKeyId,
      managedBy: 'keyrelay',
    });
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });

  it('after a Key Vault failure while staging, the next run removes the lost password and completes', async () => {
    const w = await world();
    w.secrets.failNext('setSecret', new StoreConflictError('write secret: conflicting write (HTTP 409)', 409));
    const service = createRotationService(w.deps);
    const first = await service.advance({ runId: 'run-1', now: T0 });
    expect(first).toMatchObject({ step: 'added', lastError: 'keyvault_409' });
    expect(w.directory.passwordsNamed(OURS)).toHaveLength(1);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    const second = await service.advance({ runId: 'run-2', now: addDays(T0, 0.1) });
    expect(second.step).toBe('switched');
    expect(w.directory.passwordsNamed(OURS)).toHaveLength(1);
    expect(w.directory.calls.removePassword).toBe(1);
  });

  it('tags a hand-stored secret identified by its unique hint and removes it after the overlap', async () => {
    const w = await world({ tagged: false });
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    const record = (await w.rotations.get(APP_ID))?.record;
    expect(record?.oldKeyId).toBe(w.oldKeyId);
    await service.advance({ runId: 'run-2', now: addDays(T0, 8) });
    expect(w.directory.keyIds()).not.toContain(w.oldKeyId);
  });

  it('rotates a hand-stored secret whose hint is ambiguous but never removes any of the candidates', async () => {
    const w = await world({ tagged: false });
    const twin = w.directory.seedPassword('twin', addDays(T0, 25), `${w.oldSecret.slice(0, 3)}different`);
    const service = createRotationService(w.deps);
    const first = await service.advance({ runId: 'run-1', now: T0 });
    expect(first.step).toBe('switched');
    expect((await w.rotations.get(APP_ID))?.record.oldKeyId).toBeUndefined();
    const later = await service.advance({ runId: 'run-2', now: addDays(T0, 30) });
    expect(later.step).toBe('switched');
    expect(w.directory.keyIds()).toEqual(expect.arrayContaining([w.oldKeyId, twin.keyId, w.humanKeyId]));
  });

  it('resumes after removePassword of the old key fails transiently (429)', async () => {
    const w = await world();
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    w.directory.failNext('removePassword', graphError(429, 'TooManyRequests'));
    const throttled = await service.advance({ runId: 'run-2', now: addDays(T0, 8) });
    expect(throttled).toMatchObject({ step: 'switched', lastError: 'graph_429' });
    const done = await service.advance({ runId: 'run-3', now: addDays(T0, 9) });
    expect(done.step).toBe('old_removed');
  });

  it('two runs at once: one rotation, one new password, the current secret authenticates', async () => {
    const w = await world();
    const service = createRotationService(w.deps);
    const outcomes = await Promise.all([
      service.advance({ runId: 'run-a', now: T0 }),
      service.advance({ runId: 'run-b', now: T0 }),
    ]);
    expect(outcomes.some((outcome) => outcome.step === 'switched')).toBe(true);
    expect(w.directory.passwordsNamed(OURS)).toHaveLength(1);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    expect(await w.rotations.listHistory(APP_ID)).toHaveLength(1);
  });

  it("reports a Key Vault outage while reading the secret in use as the run's error, changing nothing", async () => {
    const w = await world();
    w.secrets.failNext('getSecret', new StoreUnavailableError('read secret: store unavailable (HTTP 503)', 503, 10));
    const outcome = await createRotationService(w.deps).advance({ runId: 'run-1', now: T0 });
    expect(outcome).toMatchObject({ step: 'idle', lastError: 'keyvault_503' });
    expect(w.directory.calls.addPassword).toBe(0);
  });

  it('never logs a secret text', async () => {
    const w = await world();
    w.directory.newPasswordRejections = 1;
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    await service.advance({ runId: 'run-2', now: addDays(T0, 8) });
    const staged = await w.secrets.getSecret(stagingSecretName(SECRET_NAME));
    expect(w.logLines.length).toBeGreaterThan(3);
    for (const line of w.logLines) {
      expect(line).not.toContain(w.oldSecret);
      expect(line).not.toContain(staged!.value);
    }
  });

  it('with overlap "never", the next rotation still starts when the new secret is due', async () => {
    const w = await world({ config: { rotationOverlapDays: 'never' } });
    const service = createRotationService(w.deps);
    const first = await service.advance({ runId: 'run-1', now: T0 });
    const idle = await service.advance({ runId: 'run-2', now: addDays(T0, 300) });
    expect(idle).toMatchObject({ step: 'switched', plannedFor: addDays(T0, 700) });
    const due = await service.advance({ runId: 'run-3', now: addDays(T0, 705) });
    expect(due.events.map((event) => event.kind)).toEqual([
      'started',
      'added',
      'stored',
      'verified',
      'switched',
      'waiting',
    ]);
    expect(due.rotationId).not.toBe(first.rotationId);
    expect((await w.secrets.getSecret(SECRET_NAME))?.expiresOn).toEqual(addDays(T0, 705 + 730));
    expect(await currentSecretAuthenticates(w)).toBe(true);
    expect(w.directory.calls.removePassword).toBe(0);
  });

  it("after the switch removes a leftover password carrying this rotation's name, keeping the new one", async () => {
    const w = await world();
    w.directory.newPasswordRejections = 4;
    const service = createRotationService(w.deps);
    const first = await service.advance({ runId: 'run-1', now: T0 });
    expect(first.step).toBe('stored');
    // A run that lost the race to save its password could not take it back.
    const leftover = w.directory.seedPassword(rotationDisplayName(first.rotationId!), addDays(T0, 730));
    w.directory.failNext('removePassword', graphError(503, 'ServiceUnavailable'));
    const failed = await service.advance({ runId: 'run-2', now: addDays(T0, 0.01) });
    expect(failed).toMatchObject({ step: 'switched', lastError: 'graph_503' });
    expect(
      w.logLines.some((line) => line.includes('rotation.leftover_remove_failed') && line.includes(leftover.keyId)),
    ).toBe(true);
    const cleaned = await service.advance({ runId: 'run-3', now: addDays(T0, 1) });
    expect(cleaned.events).toContainEqual(expect.objectContaining({ kind: 'orphan_removed', keyId: leftover.keyId }));
    expect(w.directory.passwordsNamed(OURS).map((password) => password.keyId)).toEqual([failed.newKeyId]);
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });

  it('never removes the password Key Vault names at the moment of removal, whatever the record says', async () => {
    const w = await world();
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    // Between this run's read of the secret in use and its removal of the old password, the old secret is
    // written back (as a hand restore or a stale run would).
    const secretStore = withHooks(w.secrets, 'getSecret', {
      before: async (_args, call) => {
        if (call === 2)
          await w.secrets.setSecret(SECRET_NAME, w.oldSecret, { tags: { appId: APP_ID, keyId: w.oldKeyId } });
      },
    });
    const outcome = await createRotationService({ ...w.deps, secretStore }).advance({
      runId: 'run-2',
      now: addDays(T0, 8),
    });
    expect(outcome).toMatchObject({ step: 'switched', lastError: 'remove_refused_in_use' });
    expect(w.directory.keyIds()).toContain(w.oldKeyId);
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });
});

describe('RotationService.advance: concurrent runs', () => {
  it('two runs at once never remove the password Key Vault uses, and the old one goes only after that', async () => {
    const w = await world();
    const stagingName = stagingSecretName(SECRET_NAME);
    const runBHasRead = gate();
    const serviceB = createRotationService({
      ...w.deps,
      rotationStore: withHooks(w.rotations, 'get', {
        after: (_args, call) => (call === 1 ? runBHasRead.hold() : undefined),
      }),
    });
    let runB: ReturnType<typeof serviceB.advance> | undefined;
    // Run A starts run B once it has added its password (record at 'added'); B reads the record, then is held.
    const secretsA = withHooks(w.secrets, 'setSecret', {
      before: async ([name]) => {
        if (name !== stagingName || runB) return;
        runB = serviceB.advance({ runId: 'run-b', now: T0 });
        await runBHasRead.reached;
      },
    });
    const a = await createRotationService({ ...w.deps, secretStore: secretsA }).advance({ runId: 'run-a', now: T0 });
    expect(a.step).toBe('switched');
    runBHasRead.release();
    const b = await runB!;
    const inUse = await w.secrets.getSecret(SECRET_NAME);
    expect(w.directory.keyIds()).toContain(inUse?.tags.keyId);
    expect(await currentSecretAuthenticates(w)).toBe(true);
    expect(b.lastError).toBeUndefined();
    expect(b.events).toEqual([expect.objectContaining({ kind: 'waiting', reason: 'concurrent_run' })]);
    // After the overlap the old password goes and the one in use stays.
    const c = await createRotationService(w.deps).advance({ runId: 'run-c', now: addDays(T0, 8) });
    expect(c).toMatchObject({ step: 'old_removed', removedKeyId: w.oldKeyId });
    expect(w.directory.keyIds()).toEqual(expect.arrayContaining([inUse?.tags.keyId, w.humanKeyId]));
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });

  it('a run that read the record before another run took the lease stops at its lease write, touching nothing', async () => {
    const w = await world();
    w.secrets.failNext('setSecret', new StoreConflictError('write secret: conflicting write (HTTP 409)', 409));
    await createRotationService(w.deps).advance({ runId: 'run-0', now: T0 });
    expect((await w.rotations.get(APP_ID))?.record.step).toBe('added');
    const runBHasRead = gate();
    const serviceB = createRotationService({
      ...w.deps,
      rotationStore: withHooks(w.rotations, 'get', {
        after: (_args, call) => (call === 1 ? runBHasRead.hold() : undefined),
      }),
    });
    const runB = serviceB.advance({ runId: 'run-b', now: addDays(T0, 0.1) });
    await runBHasRead.reached;
    const a = await createRotationService(w.deps).advance({ runId: 'run-a', now: addDays(T0, 0.1) });
    expect(a.step).toBe('switched');
    const graphCallsBefore = { ...w.directory.calls };
    runBHasRead.release();
    const b = await runB;
    expect(b.lastError).toBeUndefined();
    expect(b.events).toEqual([expect.objectContaining({ kind: 'waiting', reason: 'concurrent_run' })]);
    expect(w.directory.calls).toEqual(graphCallsBefore);
    expect(w.directory.passwordsNamed(OURS)).toHaveLength(1);
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });

  it('a second run starting the same rotation stops quietly instead of failing', async () => {
    const w = await world();
    const service = createRotationService(w.deps);
    await service.advance({ runId: 'run-1', now: T0 });
    await service.advance({ runId: 'run-2', now: addDays(T0, 8) });
    const due = addDays(T0, 705);
    // Run B decides to start a new rotation, then is held just before it closes the finished one.
    const runBAtClose = gate();
    const serviceB = createRotationService({
      ...w.deps,
      rotationStore: withHooks(w.rotations, 'close', { before: () => runBAtClose.hold() }),
    });
    const runB = serviceB.advance({ runId: 'run-b', now: due });
    await runBAtClose.reached;
    const a = await service.advance({ runId: 'run-a', now: due });
    expect(a.step).toBe('switched');
    runBAtClose.release();
    const b = await runB;
    expect(b.lastError).toBeUndefined();
    expect(b.events).toEqual([expect.objectContaining({ kind: 'waiting', reason: 'concurrent_run' })]);
    expect(await w.rotations.listHistory(APP_ID)).toHaveLength(2);
    expect(w.directory.calls.addPassword).toBe(2);
    expect(w.directory.passwordsNamed(`${OURS} ${a.rotationId}`)).toHaveLength(1);
    expect(await currentSecretAuthenticates(w)).toBe(true);
  });
});
