// Issue 7's faults, each on its own fresh local cloud: after every run the invariants hold (I1 the current
// Key Vault secret authenticates, I2 at most one orphan of ours and the person's password untouched, I3 no
// secret text in the logs), and the next run completes the rotation (I4).
import { afterEach, describe, expect, it } from 'vitest';
import type { AppRegistrationDirectory, RotationStore, SecretStore } from '#src/shared/ports/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import { OURS, SimulatedCrash, startRotationRig, type RotationRig } from './rotationHarness.js';

let rig: RotationRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function started(options?: Parameters<typeof startRotationRig>[0]): Promise<RotationRig> {
  rig = await startRotationRig(options);
  return rig;
}

const ourPasswords = (r: RotationRig) =>
  r.app.passwordCredentials.filter((password) => password.displayName?.startsWith(OURS));

/** A process that dies at `trigger`: from then on every port call fails, as nothing runs after a crash. */
function dyingPorts(r: RotationRig, trigger: { setSecretOf?: string; removePassword?: true }) {
  let dead = false;
  const alive = () => {
    if (dead) throw new SimulatedCrash();
  };
  const store = r.secretStore;
  const secretStore: SecretStore = {
    getSecret: (name) => (alive(), store.getSecret(name)),
    getSecretVersion: (name, version) => (alive(), store.getSecretVersion(name, version)),
    setSecret: (name, value, options) => {
      alive();
      if (trigger.setSecretOf !== undefined && name.endsWith(trigger.setSecretOf)) {
        dead = true;
        throw new SimulatedCrash();
      }
      return store.setSecret(name, value, options);
    },
    listSecretProperties: () => (alive(), store.listSecretProperties()),
    updateSecretTags: (name, version, tags) => (alive(), store.updateSecretTags(name, version, tags)),
  };
  const directory = r.stack.core.appDirectory;
  const appDirectory: AppRegistrationDirectory = {
    getApplication: (appId) => (alive(), directory.getApplication(appId)),
    addPassword: (objectId, request) => (alive(), directory.addPassword(objectId, request)),
    getAppManagementPolicies: (objectId) => (alive(), directory.getAppManagementPolicies(objectId)),
    removePassword: async (objectId, keyId) => {
      alive();
      const result = await directory.removePassword(objectId, keyId);
      if (trigger.removePassword) {
        dead = true;
        throw new SimulatedCrash();
      }
      return result;
    },
  };
  const rotations = r.stack.core.rotationStore;
  const rotationStore: RotationStore<RotationRecord> = {
    get: (appId) => (alive(), rotations.get(appId)),
    create: (record) => (alive(), rotations.create(record)),
    update: (record, etag) => (alive(), rotations.update(record, etag)),
    close: (appId, etag) => (alive(), rotations.close(appId, etag)),
    listHistory: (appId) => (alive(), rotations.listHistory(appId)),
  };
  return { secretStore, appDirectory, rotationStore };
}

describe('rotation on the local cloud', () => {
  it('rotates when due and keeps the old secret until the overlap has passed', async () => {
    const r = await started();
    const now = new Date();
    const outcome = await r.service().advance({ runId: 'run-1', now });
    expect(outcome.step).toBe('switched');
    await r.assertInvariants();
    const current = await r.stack.core.secretStore.getSecret(r.stack.config.oauthClientSecretName);
    expect(current?.tags).toMatchObject({ keyId: outcome.newKeyId, managedBy: 'keyrelay' });
    expect(current?.contentType).toBe('text/plain');
    expect(current?.expiresOn?.getTime()).toBe(Math.floor(addDays(now, 730).getTime() / 1000) * 1000);
    expect(r.app.passwordCredentials.map((password) => password.keyId)).toContain(r.initialKeyId);
    const done = await r.service().advance({ runId: 'run-2', now: addDays(now, 7.5) });
    expect(done.step).toBe('old_removed');
    expect(r.app.passwordCredentials.map((password) => password.keyId)).not.toContain(r.initialKeyId);
    await r.assertInvariants();
  });

  it('addPassword 403: blocked, no retry that day, completes the next day', async () => {
    const r = await started();
    r.stack.local.cloud.injectFault({
      service: 'graph',
      route: 'applications.addPassword',
      kind: 'status',
      status: 403,
    });
    const now = new Date();
    const blocked = await r.service().advance({ runId: 'run-1', now });
    expect(blocked).toMatchObject({ step: 'failed', blockedReason: 'permission_denied' });
    expect(ourPasswords(r)).toEqual([]);
    await r.assertInvariants();
    const sameDay = await r.service().advance({ runId: 'run-2', now: addDays(now, 0.5) });
    expect(sameDay.blockedReason).toBe('permission_denied');
    expect(r.stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(1);
    const nextDay = await r.service().advance({ runId: 'run-3', now: addDays(now, 1) });
    expect(nextDay.step).toBe('switched');
    await r.assertInvariants();
  });

  it('Graph 403 on reading the app (keyrelay no longer owns it): blocked without touching anything', async () => {
    const r = await started();
    r.app.ownerObjectIds = [];
    const blocked = await r.service().advance({ runId: 'run-1', now: new Date() });
    expect(blocked).toMatchObject({ step: 'idle', blockedReason: 'permission_denied' });
    expect(r.stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(0);
    await r.assertInvariants();
  });

  it('a tenant default policy that forbids passwords: blocked before any addPassword, completes after the admin lifts it', async () => {
    const r = await started();
    const tenant = r.stack.local.ctx.tenants.find((candidate) => candidate.id === r.app.tenantId)!;
    tenant.defaultAppManagementPolicy = { forbidPasswords: true };
    const now = new Date();
    const blocked = await r.service().advance({ runId: 'run-1', now });
    expect(blocked).toMatchObject({ step: 'failed', blockedReason: 'policy_forbidden' });
    expect(r.stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(0);
    expect(ourPasswords(r)).toEqual([]);
    await r.assertInvariants();
    delete tenant.defaultAppManagementPolicy;
    const nextDay = await r.service().advance({ runId: 'run-2', now: addDays(now, 1) });
    expect(nextDay.step).toBe('switched');
    await r.assertInvariants();
  });

  it('an app policy capping passwords at 365 days, read through Graph: the new secret lives 364 days, asked once', async () => {
    const r = await started();
    r.app.passwordPolicy = { maxLifetimeDays: 365 };
    const now = new Date();
    const outcome = await r.service().advance({ runId: 'run-1', now });
    expect(outcome.step).toBe('switched');
    expect(r.stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(1);
    const current = await r.stack.core.secretStore.getSecret(r.stack.config.oauthClientSecretName);
    expect(current?.expiresOn?.getTime()).toBe(Math.floor(addDays(now, 364).getTime() / 1000) * 1000);
    await r.assertInvariants();
  });

  it('a 365-day cap keyrelay may not read (no Policy.Read.All): refused once, asked again for 89 days, rotated', async () => {
    const r = await started();
    r.app.passwordPolicy = { maxLifetimeDays: 365 };
    const identity = r.stack.local.ctx.servicePrincipals.find((principal) =>
      principal.graphRoles.includes('Policy.Read.All'),
    )!;
    identity.graphRoles = identity.graphRoles.filter((role) => role !== 'Policy.Read.All');
    const now = new Date();
    const outcome = await r.service().advance({ runId: 'run-1', now });
    expect(outcome.step).toBe('switched');
    expect(r.stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(2);
    const current = await r.stack.core.secretStore.getSecret(r.stack.config.oauthClientSecretName);
    expect(current?.expiresOn?.getTime()).toBe(Math.floor(addDays(now, 89).getTime() / 1000) * 1000);
    expect(r.logLines.some((line) => line.includes('rotation.policy_unreadable'))).toBe(true);
    await r.assertInvariants();
  });

  it('a cap under every lifetime keyrelay tries (30 days, unreadable): blocked policy_lifetime, nothing left behind', async () => {
    const r = await started();
    r.app.passwordPolicy = { maxLifetimeDays: 30 };
    const identity = r.stack.local.ctx.servicePrincipals.find((principal) =>
      principal.graphRoles.includes('Policy.Read.All'),
    )!;
    identity.graphRoles = identity.graphRoles.filter((role) => role !== 'Policy.Read.All');
    const blocked = await r.service().advance({ runId: 'run-1', now: new Date() });
    expect(blocked).toMatchObject({ step: 'failed', blockedReason: 'policy_lifetime' });
    expect(ourPasswords(r)).toEqual([]);
    await r.assertInvariants();
  });

  it('addPassword times out after the password was created: the run finds it by its displayName, removes it and adds another', async () => {
    const r = await started();
    r.stack.local.cloud.injectFault({ service: 'graph', route: 'applications.addPassword', kind: 'timeout_after' });
    const outcome = await r.service().advance({ runId: 'run-1', now: new Date() });
    expect(outcome.step).toBe('switched');
    expect(outcome.events.map((event) => event.kind)).toEqual([
      'started',
      'orphan_removed',
      'added',
      'stored',
      'verified',
      'switched',
      'waiting',
    ]);
    expect(ourPasswords(r)).toHaveLength(1);
    await r.assertInvariants();
  });

  it('addPassword answered 504 after Graph committed it: sent once (no client retry), no duplicate left, rotated', async () => {
    const r = await started();
    r.stack.local.cloud.injectFault({
      service: 'graph',
      route: 'applications.addPassword',
      kind: 'status_after',
      status: 504,
    });
    const outcome = await r.service().advance({ runId: 'run-1', now: new Date() });
    expect(outcome.step).toBe('switched');
    // The committed-then-504 call, then the one after the orphan's removal: the client did not retry the POST.
    expect(r.stack.local.cloud.countRequests('graph', 'applications.addPassword')).toBe(2);
    expect(ourPasswords(r).map((password) => password.keyId)).toEqual([outcome.newKeyId]);
    await r.assertInvariants();
  });

  it("a hand-stored secret that already carries 14 tags (no room for keyrelay's): rotated, the new version tagged", async () => {
    const r = await started();
    const secretName = r.stack.config.oauthClientSecretName;
    const foreignTags = Object.fromEntries(Array.from({ length: 14 }, (_, index) => [`team${index}`, `value${index}`]));
    await r.secretStore.setSecret(secretName, r.stack.local.clientSecret, {
      tags: foreignTags,
      contentType: 'text/plain',
    });
    const outcome = await r.service().advance({ runId: 'run-1', now: new Date() });
    expect(outcome.step).toBe('switched');
    expect(r.logLines.some((line) => line.includes('rotation.in_use_untagged') && line.includes('keyvault_400'))).toBe(
      true,
    );
    // Tried once for that version, not again at every step of the run.
    expect(r.logLines.filter((line) => line.includes('rotation.in_use_untagged'))).toHaveLength(1);
    expect((await r.stack.core.secretStore.getSecret(secretName))?.tags).toMatchObject({
      keyId: outcome.newKeyId,
      managedBy: 'keyrelay',
    });
    await r.assertInvariants();
  });

  it('the new secret is refused for a few minutes: retried with backoff within the run, then switched', async () => {
    const r = await started();
    r.app.newPasswordActivation = { delayMs: 140_000 };
    const outcome = await r.service().advance({ runId: 'run-1', now: new Date() });
    expect(outcome.step).toBe('switched');
    expect(r.stack.local.cloud.countRequests('entra', 'token.client_credentials')).toBeGreaterThanOrEqual(4);
    await r.assertInvariants();
  });

  it('the new secret is refused longer than a run retries: stays staged, old secret current, the next run switches', async () => {
    const r = await started();
    r.app.newPasswordActivation = { delayMs: 10 * 60_000 };
    const now = new Date();
    const first = await r.service().advance({ runId: 'run-1', now });
    expect(first.step).toBe('stored');
    expect((await r.stack.core.secretStore.getSecret(r.stack.config.oauthClientSecretName))?.value).toBe(
      r.stack.local.clientSecret,
    );
    await r.assertInvariants();
    r.stack.local.cloud.advanceClock(10 * 60_000);
    const second = await r.service().advance({ runId: 'run-2', now: new Date(now.getTime() + 20 * 60_000) });
    expect(second.step).toBe('switched');
    await r.assertInvariants();
  });

  it('verification never succeeds: rolled back (new password removed, Key Vault untouched), retried the next day', async () => {
    const r = await started();
    r.app.newPasswordActivation = { rejectedAttempts: 1_000 };
    const now = new Date();
    await r.service().advance({ runId: 'run-1', now });
    await r.assertInvariants();
    const rolledBack = await r.service().advance({ runId: 'run-2', now: addDays(now, 0.5) });
    expect(rolledBack.step).toBe('rolled_back');
    expect(rolledBack.events.map((event) => event.kind)).toContain('rolled_back');
    expect(ourPasswords(r)).toEqual([]);
    expect((await r.stack.core.secretStore.getSecret(r.stack.config.oauthClientSecretName))?.value).toBe(
      r.stack.local.clientSecret,
    );
    await r.assertInvariants();
    delete r.app.newPasswordActivation;
    const retried = await r.service().advance({ runId: 'run-3', now: addDays(now, 1.6) });
    expect(retried.step).toBe('switched');
    await r.assertInvariants();
  });

  it.each([
    ['404', undefined],
    ['400', 400],
  ] as const)(
    'removePassword of a password an admin already removed (Graph answers %s) counts as done: the list decides',
    async (_answer, status) => {
      const r = await started();
      const now = new Date();
      await r.service().advance({ runId: 'run-1', now });
      r.app.passwordCredentials = r.app.passwordCredentials.filter((password) => password.keyId !== r.initialKeyId);
      if (status !== undefined)
        r.stack.local.cloud.injectFault({
          service: 'graph',
          route: 'applications.removePassword',
          kind: 'status',
          status,
        });
      const done = await r.service().advance({ runId: 'run-2', now: addDays(now, 8) });
      expect(done).toMatchObject({ step: 'old_removed', removedKeyId: r.initialKeyId });
      expect(done.events.find((event) => event.kind === 'old_removed')).toMatchObject({ reason: 'already_removed' });
      await r.assertInvariants();
    },
  );

  it('removePassword 429: the record stays switched and the next run removes the old password', async () => {
    const r = await started();
    const now = new Date();
    await r.service().advance({ runId: 'run-1', now });
    r.stack.local.cloud.injectFault({
      service: 'graph',
      route: 'applications.removePassword',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 0,
      remaining: Infinity,
    });
    const throttled = await r.service().advance({ runId: 'run-2', now: addDays(now, 8) });
    expect(throttled).toMatchObject({ step: 'switched', lastError: 'graph_429' });
    expect(r.app.passwordCredentials.map((password) => password.keyId)).toContain(r.initialKeyId);
    await r.assertInvariants();
    r.stack.local.cloud.clearFaults();
    const done = await r.service().advance({ runId: 'run-3', now: addDays(now, 9) });
    expect(done.step).toBe('old_removed');
    await r.assertInvariants();
  });

  it('crash after the old password was removed, before the record was saved: the next run finishes the record', async () => {
    const r = await started();
    const now = new Date();
    await r.service().advance({ runId: 'run-1', now });
    await expect(
      r.service(dyingPorts(r, { removePassword: true })).advance({ runId: 'run-2', now: addDays(now, 8) }),
    ).rejects.toThrow(SimulatedCrash);
    expect(await r.step()).toBe('switched');
    expect(r.app.passwordCredentials.map((password) => password.keyId)).not.toContain(r.initialKeyId);
    await r.assertInvariants();
    const done = await r.service().advance({ runId: 'run-3', now: addDays(now, 8.01) });
    expect(done.step).toBe('old_removed');
    await r.assertInvariants();
  });

  it('two runs at once (two instances): one rotation wins, one new password, the secret in Key Vault authenticates', async () => {
    const r = await started();
    const now = new Date();
    const outcomes = await Promise.all([
      r.service().advance({ runId: 'run-a', now }),
      r.service().advance({ runId: 'run-b', now }),
    ]);
    expect(outcomes.map((outcome) => outcome.step)).toContain('switched');
    expect(ourPasswords(r)).toHaveLength(1);
    expect(await r.stack.core.rotationStore.listHistory(r.app.appId)).toHaveLength(1);
    await r.assertInvariants();
  });
});
