// Rotation against the local cloud: the real Graph, Key Vault and Entra adapters over HTTPS on the
// emulators, Table storage on Azurite. Each test gets a fresh stack whose client secret expires in 20 days
// (inside the 30-day lead), a password a person made in the portal, and helpers that assert the issue's
// invariants after every step.
import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import type { EmulatedApplication } from '../../../dev/cloud/context.js';
import { createKeyVaultSecretStore } from '#src/shared/adapters/keyVaultSecretStore.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { formatLogLine, type Logger } from '#src/shared/logger.js';
import type { SecretStore } from '#src/shared/ports/index.js';
import {
  createRotationService,
  stagingSecretName,
  type RotationService,
  type RotationServiceDependencies,
} from '#src/shared/services/rotation/rotationService.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

export const OURS = 'keyrelay rotation';
const HUMAN_PASSWORD = 'made in the portal';

export interface RotationRig {
  stack: TestStack;
  app: EmulatedApplication;
  /** Every line any rotation service of this rig logged. */
  logLines: string[];
  humanKeyId: string;
  initialKeyId: string;
  /** The real Key Vault adapter without SDK retries, so an injected 429/5xx reaches the service at once. */
  secretStore: SecretStore;
  /** A service on the real adapters; `overrides` swaps ports (test-only crash wrappers). */
  service(overrides?: Partial<RotationServiceDependencies>): RotationService;
  /** I1, I2 and I3 as the issue states them. */
  assertInvariants(): Promise<void>;
  /** The step of the current rotation record. */
  step(): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function startRotationRig(
  options: { tokenLifetimeSeconds?: number; overlapDays?: string } = {},
): Promise<RotationRig> {
  const stack = await startTestStack({
    cloud: {
      initialSecretEndDateTime: addDays(new Date(), 20),
      ...(options.tokenLifetimeSeconds !== undefined
        ? { accessTokenLifetimeSeconds: options.tokenLifetimeSeconds }
        : {}),
    },
    settings: { ROTATION_LEAD_DAYS: '30', ROTATION_OVERLAP_DAYS: options.overlapDays ?? '7' },
  });
  const app = stack.local.ctx.applications.find((candidate) => candidate.appId === KEYRELAY_APP_ID)!;
  const humanKeyId = randomUUID();
  const now = new Date();
  app.passwordCredentials.push({
    keyId: humanKeyId,
    displayName: HUMAN_PASSWORD,
    hint: 'hum',
    secretSha256: createHash('sha256').update(`human-${humanKeyId}`).digest('hex'),
    startDateTime: now.toISOString(),
    endDateTime: addDays(now, 300).toISOString(),
  });
  const logLines: string[] = [];
  const logger: Logger = {
    info: (event, properties) => logLines.push(formatLogLine(event, properties)),
    warn: (event, properties) => logLines.push(formatLogLine(event, properties)),
    error: (event, properties) => logLines.push(formatLogLine(event, properties)),
  };
  const secretStore = createKeyVaultSecretStore(stack.config, stack.core.azureCredential, { maxRetries: 0 });
  const secretName = stack.config.oauthClientSecretName;

  const rig: RotationRig = {
    stack,
    app,
    logLines,
    humanKeyId,
    initialKeyId: stack.local.clientSecretKeyId,
    secretStore,
    service: (overrides = {}) =>
      createRotationService({
        config: stack.config,
        secretStore,
        rotationStore: stack.core.rotationStore,
        appDirectory: stack.core.appDirectory,
        secretVerifier: stack.core.oauthClient,
        logger,
        // Time moves instead of the test sleeping: the Entra emulator's clock and the run's clock together.
        wait: (ms) => {
          stack.local.cloud.advanceClock(ms);
          return Promise.resolve();
        },
        verifyBackoffMs: [30_000, 60_000, 60_000],
        verifyDeadlineMinutes: 60,
        ...overrides,
      }),
    async assertInvariants() {
      const current = await stack.core.secretStore.getSecret(secretName);
      expect(current, 'Key Vault holds a client secret').toBeDefined();
      // I1: the current Key Vault secret authenticates against the Entra emulator.
      expect(await stack.core.oauthClient.verifyClientSecret(current!.value)).toEqual({ ok: true });
      // I2: at most one orphan password of ours; the person's password untouched.
      const record = (await stack.core.rotationStore.get(KEYRELAY_APP_ID))?.record;
      const orphans = app.passwordCredentials.filter(
        (password) =>
          password.displayName?.startsWith(OURS) &&
          password.keyId !== current!.tags.keyId &&
          password.keyId !== record?.newKeyId,
      );
      expect(orphans.length).toBeLessThanOrEqual(1);
      expect(app.passwordCredentials.map((password) => password.keyId)).toContain(humanKeyId);
      // I3: no secret text in any log line (the initial one, the current one, every staged one).
      const staged = await stack.core.secretStore.getSecret(stagingSecretName(secretName));
      const texts = [stack.local.clientSecret, current!.value, ...(staged ? [staged.value] : [])];
      for (const line of logLines) for (const text of texts) expect(line).not.toContain(text);
    },
    async step() {
      return (await stack.core.rotationStore.get(KEYRELAY_APP_ID))?.record.step;
    },
    close: () => stack.close(),
  };
  return rig;
}

/** Thrown by the test-only port wrappers: the process "dies" here. */
export class SimulatedCrash extends Error {
  constructor() {
    super('simulated crash');
    this.name = 'SimulatedCrash';
  }
}
