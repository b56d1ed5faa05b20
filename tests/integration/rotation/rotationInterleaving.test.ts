// Two instances rotating at once (issue 13), deterministically: instance A is paused at each step of its
// rotation (added, stored, verified, switched, just before it removes the old password) and instance B
// runs there, in three ways —
//   inside:        B starts while A holds a live lease;
//   lease_expired: B's clock is 11 minutes ahead (A is slower than its lease), so B may take over;
//   stale_read:    B read the rotation record before A began, was slowed down, and resumes at A's step;
//   slow_read:     B starts at A's step, reads the record, and is slowed down until A's run has ended
//                  (the race: B then acts on what it read, e.g. `added` after A switched);
//   slow_expired:  slow_read with B's clock 11 minutes ahead, so A's lease looks expired to B.
// Every case ends with the Key Vault secret authenticating, at most one orphan of ours, the person's
// password untouched, and the rotation completed by the next run. Real SDKs on the local cloud.
import { afterEach, describe, expect, it } from 'vitest';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import type { RotationOutcome } from '#src/shared/services/rotation/rotationService.js';
import { gate, withHooks } from '../../support/callHooks.js';
import { startRotationRig, type RotationRig } from './rotationHarness.js';

const STEPS = ['added', 'stored', 'verified', 'switched', 'before_remove'] as const;
const MODES = ['inside', 'lease_expired', 'stale_read', 'slow_read', 'slow_expired'] as const;
const LEASE_EXPIRED_MS = 11 * 60_000;

let rig: RotationRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function interleave(r: RotationRig, step: (typeof STEPS)[number], mode: (typeof MODES)[number]) {
  const start = new Date();
  if (step === 'before_remove')
    expect((await r.service().advance({ runId: 'run-0', now: start })).step).toBe('switched');
  const aNow = step === 'before_remove' ? addDays(start, 8) : start;
  const bNow = mode === 'lease_expired' || mode === 'slow_expired' ? new Date(aNow.getTime() + LEASE_EXPIRED_MS) : aNow;
  const slow = mode === 'slow_read' || mode === 'slow_expired';

  const bHasRead = gate();
  const serviceB =
    mode === 'stale_read' || slow
      ? r.service({
          rotationStore: withHooks(r.stack.core.rotationStore, 'get', {
            after: (_args, call) => (call === 1 ? bHasRead.hold() : undefined),
          }),
        })
      : r.service();
  let runB: Promise<RotationOutcome> | undefined;
  if (mode === 'stale_read') {
    runB = serviceB.advance({ runId: 'run-b', now: bNow });
    await bHasRead.reached;
  }
  let fired = false;
  const runBHere = async () => {
    if (fired) return;
    fired = true;
    if (mode === 'stale_read') bHasRead.release();
    else runB = serviceB.advance({ runId: 'run-b', now: bNow });
    // A slowed-down B has read the record; it resumes only once A's run is over.
    await (slow ? bHasRead.reached : runB);
  };
  const overrides =
    step === 'before_remove'
      ? { appDirectory: withHooks(r.stack.core.appDirectory, 'removePassword', { before: runBHere }) }
      : {
          rotationStore: withHooks(r.stack.core.rotationStore, 'update', {
            after: ([record]) => (record.step === step ? runBHere() : undefined),
          }),
        };
  await r.service(overrides).advance({ runId: 'run-a', now: aNow });
  expect(fired, `instance B ran at step ${step}`).toBe(true);
  if (slow) bHasRead.release();
  await runB;
  await r.assertInvariants();

  // The next daily runs complete the rotation: the old password goes after the overlap, the new one stays.
  let next = await r.service().advance({ runId: 'run-c', now: addDays(aNow, 8) });
  if (next.step !== 'old_removed') next = await r.service().advance({ runId: 'run-d', now: addDays(aNow, 16) });
  expect(next.step).toBe('old_removed');
  await r.assertInvariants();
  const current = await r.stack.core.secretStore.getSecret(r.stack.config.oauthClientSecretName);
  expect(current?.tags.keyId).not.toBe(r.initialKeyId);
  expect(r.app.passwordCredentials.map((password) => password.keyId)).not.toContain(r.initialKeyId);
}

describe('two instances rotating at once', () => {
  for (const step of STEPS) {
    for (const mode of MODES) {
      it(`B runs at A's step ${step} (${mode}): Key Vault keeps a working secret, one rotation completes`, async () => {
        rig = await startRotationRig();
        await interleave(rig, step, mode);
      }, 60_000);
    }
  }
});
