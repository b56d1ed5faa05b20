// Issue 7's "done when", over the real route: the local host (the build in dist/, a child process) answers
// POST /api/token while the client secret, 30 days from expiry, is rotated in-process step by step. Access
// tokens live 700 s, under the token service's 15-minute proactive window, so every request really
// refreshes at the Entra emulator with the client secret the host holds in memory. After the overlap the
// old password is removed while the host still holds it: the next request meets invalid_client once,
// reloads the secret from Key Vault and succeeds. The clock moves only through the runs' `now`.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import type { RotationRecord } from '#src/shared/domain/monitor/rotationPlan.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { formatLogLine, type Logger } from '#src/shared/logger.js';
import type { RotationStore } from '#src/shared/ports/index.js';
import { createApp } from '#src/shared/runtime/app.js';
import { stagingSecretName, type RotationService } from '#src/shared/services/rotation/rotationService.js';
import { connectMailbox } from '../../support/connectMailbox.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';
import { OURS } from './rotationHarness.js';

const FUNCTION_KEY = 'rotation-over-http-key';
const MARIO = 'mario.rossi@contoso.onmicrosoft.com';
const OVERLAP_DAYS = 7;
const REFRESH_ROUTE = 'token.refresh_token';
const AUDIENCES = { smtp: 'https://outlook.office.com', graph: 'https://graph.microsoft.com' } as const;
type Resource = keyof typeof AUDIENCES;

let stack: TestStack;
let host: TestHost;
const rotationLogLines: string[] = [];
const rotationLogger: Logger = {
  info: (event, properties) => rotationLogLines.push(formatLogLine(event, properties)),
  warn: (event, properties) => rotationLogLines.push(formatLogLine(event, properties)),
  error: (event, properties) => rotationLogLines.push(formatLogLine(event, properties)),
};

beforeAll(async () => {
  stack = await startTestStack({
    cloud: { accessTokenLifetimeSeconds: 700, initialSecretEndDateTime: addDays(new Date(), 30) },
    settings: { ROTATION_MODE: 'auto', ROTATION_LEAD_DAYS: '30', ROTATION_OVERLAP_DAYS: String(OVERLAP_DAYS) },
  });
  await connectMailbox(stack, MARIO);
  host = await startTestHost(stack, { functionKey: FUNCTION_KEY });
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

/** Statuses of the refresh-token requests Entra answered since the log held `mark` entries. */
function refreshStatusesSince(mark: number): number[] {
  return stack.local.cloud
    .requestLog()
    .entries.slice(mark)
    .filter((entry) => entry.service === 'entra' && entry.route === REFRESH_ROUTE)
    .map((entry) => entry.status);
}

async function requestToken(resource: Resource, moment: string): Promise<number[]> {
  const mark = stack.local.cloud.requestLog().entries.length;
  const refreshesBefore = stack.local.cloud.countRequests('entra', REFRESH_ROUTE);
  const response = await fetch(`${host.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY },
    body: JSON.stringify({ mailbox: MARIO, resource }),
  });
  expect(response.status, `${resource} token ${moment}`).toBe(200);
  const grant = (await response.json()) as { accessToken: string; xoauth2?: string };
  expect(decodeJwt(grant.accessToken).aud, `${resource} audience ${moment}`).toBe(AUDIENCES[resource]);
  await stack.local.verifier.verify(grant.accessToken, AUDIENCES[resource]);
  if (resource === 'smtp') {
    expect(Buffer.from(grant.xoauth2 ?? '', 'base64').toString('utf8')).toBe(
      `user=${MARIO}\x01auth=Bearer ${grant.accessToken}\x01\x01`,
    );
  }
  // Every request makes the host refresh at Entra with the client secret it holds: before answering when
  // it holds no usable token, else in the background (a held token with 10-15 minutes left is served at
  // once). Wait until that refresh has succeeded, so its statuses (401 then 200 after a removal) are all in.
  await vi.waitFor(
    () => {
      expect(
        stack.local.cloud.countRequests('entra', REFRESH_ROUTE),
        `${resource} refreshed at Entra ${moment}`,
      ).toBeGreaterThan(refreshesBefore);
      expect(refreshStatusesSince(mark)).toContain(200);
    },
    { timeout: 10_000, interval: 20 },
  );
  return refreshStatusesSince(mark);
}

/**
 * An smtp and a graph token over HTTP. With `oldSecretJustRemoved`, the host's first refresh uses the
 * removed secret: Entra refuses it once (401 invalid_client) and the retry with the reloaded one succeeds.
 */
async function mailStillFlows(moment: string, oldSecretJustRemoved = false): Promise<void> {
  const smtp = await requestToken('smtp', moment);
  if (oldSecretJustRemoved) {
    expect(smtp[0], `first refresh ${moment} uses the removed secret`).toBe(401);
    expect(smtp.slice(1).length).toBeGreaterThan(0);
    expect(
      smtp.slice(1).every((status) => status === 200),
      `refreshes after the reload ${moment}: ${smtp.join(',')}`,
    ).toBe(true);
  } else {
    expect(
      smtp.every((status) => status === 200),
      `smtp refreshes ${moment}: ${smtp.join(',')}`,
    ).toBe(true);
  }
  const graph = await requestToken('graph', moment);
  expect(
    graph.every((status) => status === 200),
    `graph refreshes ${moment}: ${graph.join(',')}`,
  ).toBe(true);
}

describe('rotation end to end over POST /api/token', () => {
  it('rotates the secret 30 days before expiry while the host keeps answering tokens, and removes the old secret after the overlap', async () => {
    const { core } = stack;
    const secretName = stack.config.oauthClientSecretName;
    const initialKeyId = stack.local.clientSecretKeyId;
    const oldSecret = await core.secretStore.getSecret(secretName);
    expect(oldSecret?.value).toBeTruthy();
    const oldSecretText = oldSecret!.value;
    await mailStillFlows('before the rotation');

    // The run's own rotation store, so that a token is requested after every saved step.
    const stepsSaved: string[] = [];
    const interleaved: RotationStore<RotationRecord> = {
      get: (appId) => core.rotationStore.get(appId),
      create: (record) => core.rotationStore.create(record),
      close: (appId, etag) => core.rotationStore.close(appId, etag),
      listHistory: (appId) => core.rotationStore.listHistory(appId),
      update: async (record, etag) => {
        const saved = await core.rotationStore.update(record, etag);
        // Taking and releasing the lease saves the record without a new step.
        if (stepsSaved.at(-1) === record.step) return saved;
        stepsSaved.push(record.step);
        await mailStillFlows(`after the step ${record.step}`, record.step === 'old_removed');
        return saved;
      },
    };
    const rotation: RotationService = createApp(stack.config, {
      ...stack.overrides,
      logger: rotationLogger,
      core: (built) => ({ ...built, rotationStore: interleaved }),
    }).rotation();
    const startedAt = new Date();

    const rotated = await rotation.advance({ runId: 'run-1', now: startedAt });
    expect(rotated).toMatchObject({ step: 'switched' });
    expect(stepsSaved).toEqual(['added', 'stored', 'verified', 'switched']);
    const newKeyId = rotated.newKeyId!;
    expect(newKeyId).toBeTruthy();
    expect(newKeyId).not.toBe(initialKeyId);
    const switchedSecret = await core.secretStore.getSecret(secretName);
    expect(switchedSecret?.tags.keyId).toBe(newKeyId);
    const newSecretText = switchedSecret!.value;
    expect(newSecretText).not.toBe(oldSecretText);
    // Both passwords live during the overlap; the host still refreshes with the old one it holds.
    const duringOverlap = await core.appDirectory.getApplication(KEYRELAY_APP_ID);
    expect(duringOverlap.passwordCredentials.map((password) => password.keyId)).toEqual(
      expect.arrayContaining([initialKeyId, newKeyId]),
    );
    await mailStillFlows('after run-1');

    const record = (await core.rotationStore.get(KEYRELAY_APP_ID))?.record;
    const removeAfter = record?.removeAfter;
    expect(removeAfter).toBeInstanceOf(Date);
    expect(removeAfter!.getTime()).toBeGreaterThanOrEqual(addDays(startedAt, OVERLAP_DAYS).getTime());

    const waiting = await rotation.advance({ runId: 'run-2', now: new Date(removeAfter!.getTime() - 60_000) });
    expect(waiting.step).toBe('switched');
    expect(waiting.removedKeyId).toBeUndefined();
    expect(
      (await core.appDirectory.getApplication(KEYRELAY_APP_ID)).passwordCredentials.map((password) => password.keyId),
    ).toContain(initialKeyId);
    await mailStillFlows('after run-2, a minute before removeAfter');

    const removed = await rotation.advance({ runId: 'run-3', now: removeAfter! });
    expect(removed).toMatchObject({ step: 'old_removed', removedKeyId: initialKeyId });
    expect(stepsSaved).toEqual(['added', 'stored', 'verified', 'switched', 'old_removed']);
    await mailStillFlows('after run-3');

    const app = await core.appDirectory.getApplication(KEYRELAY_APP_ID);
    const keyIds = app.passwordCredentials.map((password) => password.keyId);
    expect(keyIds).not.toContain(initialKeyId);
    expect(keyIds).toContain(newKeyId);
    expect(app.passwordCredentials.find((password) => password.keyId === newKeyId)?.displayName).toMatch(
      new RegExp(`^${OURS}`),
    );
    const current = await core.secretStore.getSecret(secretName);
    expect(current?.tags.keyId).toBe(newKeyId);
    expect(current?.value).toBe(newSecretText);
    expect(await core.oauthClient.verifyClientSecret(oldSecretText)).toMatchObject({ ok: false });

    // The host never failed a token request and never printed a secret (nor did the rotation).
    const staged = await core.secretStore.getSecret(stagingSecretName(secretName));
    const secretTexts = [oldSecretText, newSecretText, ...(staged ? [staged.value] : [])];
    expect(host.logs.some((line) => line.includes('token.failed'))).toBe(false);
    for (const line of [...host.logs, ...rotationLogLines])
      for (const text of secretTexts) expect(line).not.toContain(text);
    expect(rotationLogLines.some((line) => line.includes('rotation.old_removed'))).toBe(true);
  });
});
