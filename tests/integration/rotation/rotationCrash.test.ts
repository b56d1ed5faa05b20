// A crash after every write (issue 13): the rotating process dies right after its k-th write to Graph, Key
// Vault or Table storage, for every k of a full rotation and of the overlap run that removes the old
// password. After each crash the invariants hold (the Key Vault secret authenticates, at most one orphan,
// the person's password untouched), and the next run — once the dead run's lease has lapsed — resumes and
// completes the rotation. Real SDKs on the local cloud.
import { afterEach, describe, expect, it } from 'vitest';
import { ROTATION_LEASE_MINUTES } from '#src/shared/domain/monitor/rotationPlan.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import type { RotationServiceDependencies } from '#src/shared/services/rotation/rotationService.js';
import { aroundEveryCall } from '../../support/callHooks.js';
import { SimulatedCrash, startRotationRig, type RotationRig } from './rotationHarness.js';

const WRITES: Record<'rotationStore' | 'secretStore' | 'appDirectory', readonly string[]> = {
  rotationStore: ['create', 'update', 'close'],
  secretStore: ['setSecret', 'updateSecretTags'],
  appDirectory: ['addPassword', 'removePassword'],
};
/** Writes of an uncrashed first run (create, add, 5 record saves, 2 Key Vault writes) and of the overlap run. */
const FIRST_RUN_WRITES = 9;
const OVERLAP_RUN_WRITES = 4;
const AFTER_LEASE_MS = (ROTATION_LEASE_MINUTES + 1) * 60_000;

let rig: RotationRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Ports that count writes and die after the `crashAfter`-th: that write took effect, nothing after it runs. */
function crashingPorts(
  r: RotationRig,
  crashAfter: number,
): { deps: Partial<RotationServiceDependencies>; writes: () => number } {
  let writes = 0;
  let dead = false;
  const wrap = <T extends object>(target: T, writeMethods: readonly string[]): T =>
    aroundEveryCall(target, {
      before: () => {
        if (dead) throw new SimulatedCrash();
      },
      after: (method) => {
        if (!writeMethods.includes(method)) return;
        writes += 1;
        if (writes === crashAfter) {
          dead = true;
          throw new SimulatedCrash();
        }
      },
    });
  return {
    deps: {
      rotationStore: wrap(r.stack.core.rotationStore, WRITES.rotationStore),
      secretStore: wrap(r.secretStore, WRITES.secretStore),
      appDirectory: wrap(r.stack.core.appDirectory, WRITES.appDirectory),
    },
    writes: () => writes,
  };
}

async function completes(r: RotationRig, now: Date, expected: 'switched' | 'old_removed'): Promise<void> {
  const resumed = await r.service().advance({ runId: `resume-${now.getTime()}`, now });
  expect(resumed.step).toBe(expected);
  await r.assertInvariants();
}

describe('a crash after every write of a rotation', () => {
  it('an uncrashed rotation makes the writes these cases count', async () => {
    const r = (rig = await startRotationRig());
    const start = new Date();
    const first = crashingPorts(r, Infinity);
    expect((await r.service(first.deps).advance({ runId: 'run-1', now: start })).step).toBe('switched');
    expect(first.writes()).toBe(FIRST_RUN_WRITES);
    const overlap = crashingPorts(r, Infinity);
    expect((await r.service(overlap.deps).advance({ runId: 'run-2', now: addDays(start, 8) })).step).toBe(
      'old_removed',
    );
    expect(overlap.writes()).toBe(OVERLAP_RUN_WRITES);
  }, 60_000);

  for (let write = 1; write <= FIRST_RUN_WRITES; write++) {
    it(`first run dies after write ${write}: the next run completes the switch, then the overlap run`, async () => {
      const r = (rig = await startRotationRig());
      const start = new Date();
      await expect(r.service(crashingPorts(r, write).deps).advance({ runId: 'dying', now: start })).rejects.toThrow(
        SimulatedCrash,
      );
      await r.assertInvariants();
      await completes(r, new Date(start.getTime() + AFTER_LEASE_MS), 'switched');
      await completes(r, addDays(start, 9), 'old_removed');
    }, 60_000);
  }

  for (let write = 1; write <= OVERLAP_RUN_WRITES; write++) {
    it(`overlap run dies after write ${write}: the next run removes the old password, never the new one`, async () => {
      const r = (rig = await startRotationRig());
      const start = new Date();
      expect((await r.service().advance({ runId: 'run-1', now: start })).step).toBe('switched');
      const overlapAt = addDays(start, 8);
      await expect(r.service(crashingPorts(r, write).deps).advance({ runId: 'dying', now: overlapAt })).rejects.toThrow(
        SimulatedCrash,
      );
      await r.assertInvariants();
      await completes(r, new Date(overlapAt.getTime() + AFTER_LEASE_MS), 'old_removed');
      expect(r.app.passwordCredentials.map((password) => password.keyId)).not.toContain(r.initialKeyId);
    }, 60_000);
  }
});
