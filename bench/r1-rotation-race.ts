// R1: two instances racing on one rotation (issue 13), over 50 random interleavings. Each interleaving gets a
// fresh local cloud whose client secret is inside the rotation lead, with a password a person made in the
// portal. Instance A rotates (or, in its overlap run, removes the old password); after A's k-th write
// (random k) instance B runs in a random way: at once, with A's lease looking expired (B's clock 11 minutes
// ahead), after a read made before A began, or with its first read slowed past the end of A's run. Then a
// next run completes the rotation.
//
// A lockout is a moment checked (after A and B, after the next run) where the Key Vault secret does not
// authenticate against the Entra emulator; orphans are passwords of ours that are neither in use nor the
// rotation's new one, counted after the next run. The PRNG is seeded: a figure can be reproduced.
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { KEYRELAY_APP_ID } from '../dev/cloud/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { ROTATION_LEASE_MINUTES, rotationDisplayName } from '#src/shared/domain/monitor/rotationPlan.js';
import type { Logger } from '#src/shared/logger.js';
import {
  createRotationService,
  type RotationOutcome,
  type RotationService,
  type RotationServiceDependencies,
} from '#src/shared/services/rotation/rotationService.js';
import { aroundEveryCall, gate, withHooks } from '../tests/support/callHooks.js';
import { startTestStack, type TestStack } from '../tests/support/stack.js';
import type { BenchContext, BenchRow, BenchSection } from './context.js';

const INTERLEAVINGS = 50;
const SEED = 13;
const MODES = ['inside', 'lease_expired', 'stale_read', 'slow_read', 'slow_expired'] as const;
type Mode = (typeof MODES)[number];
/** Writes of an uncrashed first run and of the overlap run (tests/integration/rotation/rotationCrash.test.ts). */
const FIRST_RUN_WRITES = 9;
const OVERLAP_RUN_WRITES = 4;
const WRITE_METHODS = ['create', 'update', 'close', 'setSecret', 'updateSecretTags', 'addPassword', 'removePassword'];
const LEASE_LAPSED_MS = (ROTATION_LEASE_MINUTES + 1) * 60_000;
const OURS = rotationDisplayName('').trim();

/** mulberry32: small, seeded, good enough to pick interleavings. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function rotationService(stack: TestStack, overrides: Partial<RotationServiceDependencies> = {}): RotationService {
  return createRotationService({
    config: stack.config,
    secretStore: stack.core.secretStore,
    rotationStore: stack.core.rotationStore,
    appDirectory: stack.core.appDirectory,
    secretVerifier: stack.core.oauthClient,
    logger: silent,
    wait: (ms) => {
      stack.local.cloud.advanceClock(ms);
      return Promise.resolve();
    },
    verifyBackoffMs: [30_000, 60_000],
    ...overrides,
  });
}

/** Ports that call `atWrite` right after the `pauseAfter`-th write took effect, and wait for it. */
function pausingPorts(
  stack: TestStack,
  pauseAfter: number,
  atWrite: () => Promise<void>,
): Partial<RotationServiceDependencies> {
  let writes = 0;
  const wrap = <T extends object>(target: T): T =>
    aroundEveryCall(target, {
      after: async (method) => {
        if (WRITE_METHODS.includes(method) && ++writes === pauseAfter) await atWrite();
      },
    });
  return {
    rotationStore: wrap(stack.core.rotationStore),
    secretStore: wrap(stack.core.secretStore),
    appDirectory: wrap(stack.core.appDirectory),
  };
}

async function authenticates(stack: TestStack): Promise<boolean> {
  const current = await stack.core.secretStore.getSecret(stack.config.oauthClientSecretName);
  return current !== undefined && (await stack.core.oauthClient.verifyClientSecret(current.value)).ok;
}

async function orphans(stack: TestStack): Promise<number> {
  const app = stack.local.ctx.applications.find((candidate) => candidate.appId === KEYRELAY_APP_ID)!;
  const inUse = (await stack.core.secretStore.getSecret(stack.config.oauthClientSecretName))?.tags.keyId;
  const record = (await stack.core.rotationStore.get(KEYRELAY_APP_ID))?.record;
  return app.passwordCredentials.filter(
    (password) =>
      password.displayName?.startsWith(OURS) && password.keyId !== inUse && password.keyId !== record?.newKeyId,
  ).length;
}

interface Interleaving {
  overlapRun: boolean;
  pauseAfter: number;
  mode: Mode;
}

interface Result {
  lockouts: number;
  orphansAfterNextRun: number;
  completed: boolean;
  humanPasswordKept: boolean;
}

async function race(plan: Interleaving): Promise<Result> {
  const stack = await startTestStack({
    cloud: { initialSecretEndDateTime: addDays(new Date(), 20) },
    settings: { ROTATION_LEAD_DAYS: '30', ROTATION_OVERLAP_DAYS: '7' },
  });
  try {
    const app = stack.local.ctx.applications.find((candidate) => candidate.appId === KEYRELAY_APP_ID)!;
    const humanKeyId = randomUUID();
    const start = new Date();
    app.passwordCredentials.push({
      keyId: humanKeyId,
      displayName: 'made in the portal',
      hint: 'hum',
      secretSha256: createHash('sha256').update(humanKeyId).digest('hex'),
      startDateTime: start.toISOString(),
      endDateTime: addDays(start, 300).toISOString(),
    });
    let lockouts = 0;
    if (plan.overlapRun) await rotationService(stack).advance({ runId: 'run-0', now: start });
    const aNow = plan.overlapRun ? addDays(start, 8) : start;
    const expired = plan.mode === 'lease_expired' || plan.mode === 'slow_expired';
    const slow = plan.mode === 'slow_read' || plan.mode === 'slow_expired';
    const bNow = expired ? new Date(aNow.getTime() + LEASE_LAPSED_MS) : aNow;
    const bHasRead = gate();
    const serviceB =
      plan.mode === 'stale_read' || slow
        ? rotationService(stack, {
            rotationStore: withHooks(stack.core.rotationStore, 'get', {
              after: (_args, call) => (call === 1 ? bHasRead.hold() : undefined),
            }),
          })
        : rotationService(stack);
    let runB: Promise<RotationOutcome> | undefined;
    if (plan.mode === 'stale_read') {
      runB = serviceB.advance({ runId: 'run-b', now: bNow });
      await bHasRead.reached;
    }
    const atWrite = async () => {
      if (plan.mode === 'stale_read') bHasRead.release();
      else runB = serviceB.advance({ runId: 'run-b', now: bNow });
      await (slow ? bHasRead.reached : runB);
      if (!(await authenticates(stack))) lockouts += 1;
    };
    await rotationService(stack, pausingPorts(stack, plan.pauseAfter, atWrite)).advance({ runId: 'run-a', now: aNow });
    if (slow) bHasRead.release();
    await runB;
    if (!(await authenticates(stack))) lockouts += 1;

    let next = await rotationService(stack).advance({ runId: 'run-c', now: addDays(aNow, 8) });
    if (next.step !== 'old_removed')
      next = await rotationService(stack).advance({ runId: 'run-d', now: addDays(aNow, 16) });
    if (!(await authenticates(stack))) lockouts += 1;
    return {
      lockouts,
      orphansAfterNextRun: await orphans(stack),
      completed: next.step === 'old_removed',
      humanPasswordKept: app.passwordCredentials.some((password) => password.keyId === humanKeyId),
    };
  } finally {
    await stack.close();
  }
}

export const rotationRaceSection: BenchSection = {
  id: 'R1',
  title: `rotation with 2 racing instances over ${INTERLEAVINGS} random interleavings (seed ${SEED})`,
  async run(context: BenchContext): Promise<BenchRow[]> {
    const random = prng(SEED);
    let lockouts = 0;
    let maxOrphans = 0;
    let incomplete = 0;
    let humanRemoved = 0;
    for (let index = 0; index < INTERLEAVINGS; index++) {
      const overlapRun = random() < 0.25;
      const plan: Interleaving = {
        overlapRun,
        pauseAfter: 1 + Math.floor(random() * (overlapRun ? OVERLAP_RUN_WRITES : FIRST_RUN_WRITES)),
        mode: MODES[Math.floor(random() * MODES.length)]!,
      };
      const result = await race(plan);
      lockouts += result.lockouts;
      maxOrphans = Math.max(maxOrphans, result.orphansAfterNextRun);
      if (!result.completed) incomplete += 1;
      if (!result.humanPasswordKept) humanRemoved += 1;
      if ((index + 1) % 10 === 0)
        context.progress(`R1: ${index + 1}/${INTERLEAVINGS} interleavings, lockouts so far ${lockouts}`);
    }
    const note = `${incomplete} not completed by the next runs, ${humanRemoved} with the person's password removed`;
    return [
      {
        section: 'R1',
        metric: 'lockouts (Key Vault secret refused at any check)',
        measured: lockouts,
        goal: '0',
        met: lockouts === 0,
        note,
      },
      {
        section: 'R1',
        metric: 'orphans after the next run (max)',
        measured: maxOrphans,
        goal: '<= 1',
        met: maxOrphans <= 1,
      },
      {
        section: 'R1',
        metric: 'rotations not completed by the next run',
        measured: incomplete,
        goal: '0',
        met: incomplete === 0,
      },
    ];
  },
};
