// The mailboxes API end to end through the local host (build in dist/): connect with a `ref`, check the
// connection with GET /api/mailboxes/{mailbox}, list, disconnect (Key Vault soft delete, registry row and
// alert ledger entries gone, /api/token no longer knows the mailbox), connect again. Real MSAL and Azure
// SDKs against the emulators and Azurite; bad input is refused with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO_TENANT_ID } from '../../../dev/cloud/index.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import { credentialIds } from '#src/shared/domain/monitor/credentials.js';
import {
  PRODUCT_RETURN_URL,
  startTestHost,
  startTestStack,
  type TestHost,
  type TestStack,
} from '../../support/stack.js';
import { ConnectDriver } from '../connect/connectDriver.js';

const FUNCTION_KEY = 'mailboxes-test-key';
const MARIO = { upn: 'mario.rossi@contoso.onmicrosoft.com', oid: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d' };
const GIULIA = { upn: 'giulia.bianchi@contoso.onmicrosoft.com', oid: '1a2b3c4d-0002-4a5b-8c6d-7e8f9a0b1c2d' };
const MARIO_CACHE = mailboxCacheSecretName(CONTOSO_TENANT_ID, MARIO.oid);

let stack: TestStack;
let host: TestHost;
let driver: ConnectDriver;

beforeAll(async () => {
  stack = await startTestStack();
  host = await startTestHost(stack, { functionKey: FUNCTION_KEY });
  driver = new ConnectDriver(stack, host);
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

function api(path: string, init: RequestInit = {}, key = FUNCTION_KEY): Promise<Response> {
  return fetch(`${host.url}/api/${path}`, { ...init, headers: { 'x-functions-key': key, ...init.headers } });
}

function postToken(mailbox: string): Promise<Response> {
  return api('token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mailbox, resource: 'smtp' }),
  });
}

/** Connects through /api/connect and the callback; answers the return URL the browser lands on. */
async function connect(upn: string, ref?: string): Promise<string> {
  const query = `?returnUrl=${encodeURIComponent(PRODUCT_RETURN_URL)}${ref === undefined ? '' : `&ref=${ref}`}`;
  const flow = await driver.start(query);
  const response = await driver.callback(await driver.signIn(flow, { upn }), flow.cookie);
  expect(response.status).toBe(302);
  return response.location ?? '';
}

function cacheStats(name: string) {
  return stack.local.cloud.state().keyVault.find((secret) => secret.name === name);
}

describe('connect with a ref, then check it through the mailboxes API', () => {
  it('passes the ref back on the return URL and stores it on the mailbox', async () => {
    const landing = new URL(await connect(MARIO.upn, 'crm-42.a_b~c'));
    expect(Object.fromEntries(landing.searchParams)).toEqual({
      keyrelay: 'connected',
      mailbox: MARIO.upn,
      ref: 'crm-42.a_b~c',
    });
    const response = await api(`mailboxes/${encodeURIComponent(MARIO.upn.toUpperCase())}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      mailbox: MARIO.upn,
      tenantId: CONTOSO_TENANT_ID,
      status: 'ok',
      connectedAt: expect.any(String) as string,
      lastRefreshAt: expect.any(String) as string,
      ref: 'crm-42.a_b~c',
    });
  });

  it('lists every mailbox, without secrets or cache names', async () => {
    await connect(GIULIA.upn);
    const response = await api('mailboxes');
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as { mailboxes: { mailbox: string; ref?: string }[] };
    expect(body.mailboxes.map((mailbox) => mailbox.mailbox)).toEqual([GIULIA.upn, MARIO.upn]);
    expect(body.mailboxes[0]).not.toHaveProperty('ref');
    expect(text).not.toMatch(/mbx-|objectId|accessToken/);
  });

  it('refuses a request without the function key (401)', async () => {
    expect((await api('mailboxes', {}, 'wrong')).status).toBe(401);
    expect((await api(`mailboxes/${MARIO.upn}`, { method: 'DELETE' }, 'wrong')).status).toBe(401);
    expect(await stack.core.mailboxRegistry.get(MARIO.upn)).toBeDefined();
  });
});

describe('bad input gets a clear answer and changes nothing', () => {
  it.each([
    ['an unknown mailbox', 'GET', 'mailboxes/nobody@contoso.onmicrosoft.com', 404, 'mailbox_not_connected'],
    [
      'disconnecting an unknown mailbox',
      'DELETE',
      'mailboxes/nobody@contoso.onmicrosoft.com',
      404,
      'mailbox_not_connected',
    ],
    ['an address that is not one', 'GET', 'mailboxes/%3Cscript%3E', 400, 'invalid_request'],
    [
      'a look-alike that is not ASCII after NFKC',
      'DELETE',
      `mailboxes/${encodeURIComponent('m\u0430rio.rossi@contoso.onmicrosoft.com')}`,
      400,
      'invalid_request',
    ],
    ['DELETE without a mailbox', 'DELETE', 'mailboxes', 400, 'invalid_request'],
  ])('%s: %s -> %i %s', async (_, method, path, status, code) => {
    const before = await driver.writtenState();
    const response = await api(path, { method });
    expect(response.status).toBe(status);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: code, message: expect.any(String) as string });
    expect(JSON.stringify(body)).not.toMatch(/script|at .*\.js/);
    expect(await driver.writtenState()).toEqual(before);
  });

  it('an invalid ref at /api/connect: 400, no cookie, nothing written', async () => {
    for (const ref of ['has space', 'x'.repeat(129), '%3Cb%3E', '']) {
      const response = await driver.expectNothingWritten(
        () => driver.get(`/api/connect?returnUrl=${encodeURIComponent(PRODUCT_RETURN_URL)}&ref=${ref}`),
        'none',
      );
      expect(response.status).toBe(400);
      expect(response.setCookies).toEqual([]);
      expect(response.body).toContain('<code>invalid_request</code>');
    }
  });
});

describe('disconnect', () => {
  it('deletes the cache (soft delete), the row and the alert ledger entries; /api/token no longer knows the mailbox', async () => {
    expect((await postToken(MARIO.upn)).status).toBe(200);
    const grantId = credentialIds.mailboxGrant(`${CONTOSO_TENANT_ID}.${MARIO.oid}`);
    await stack.core.alertLedger.claim(grantId, '7', 'run-test', new Date());
    const versionsBefore = cacheStats(MARIO_CACHE)?.versionCount;

    const response = await api(`mailboxes/${encodeURIComponent(MARIO.upn)}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');

    expect(cacheStats(MARIO_CACHE)).toEqual({ name: MARIO_CACHE, versionCount: versionsBefore, deleted: true });
    expect(await stack.core.secretStore.getSecret(MARIO_CACHE)).toBeUndefined();
    expect(await stack.core.mailboxRegistry.get(MARIO.upn)).toBeUndefined();
    expect((await stack.core.alertLedger.list()).filter((entry) => entry.credentialId === grantId)).toEqual([]);
    const token = await postToken(MARIO.upn);
    expect(token.status).toBe(404);
    expect(await token.json()).toMatchObject({ error: 'mailbox_not_connected' });
    expect((await api(`mailboxes/${MARIO.upn}`)).status).toBe(404);
    expect((await api(`mailboxes/${MARIO.upn}`, { method: 'DELETE' })).status).toBe(404);
    expect((await stack.core.mailboxRegistry.list()).map((record) => record.upn)).toEqual([GIULIA.upn]);
    // Audit: one event per connect and disconnect, the mailbox as a keyed digest.
    const audit = host.logs.filter((line) => line.includes('audit.'));
    expect(audit.some((line) => /audit\.disconnect mailbox=[0-9a-f]{32} tid=\S+ outcome=disconnected/.test(line))).toBe(
      true,
    );
    expect(audit.some((line) => /audit\.connect mailbox=[0-9a-f]{32} tid=\S+ outcome=connected/.test(line))).toBe(true);
    expect(audit.join('\n')).not.toContain(MARIO.upn);
  });

  it('a disconnected mailbox connects again: the cache is recovered and replaced, tokens flow', async () => {
    await connect(MARIO.upn, 'crm-43');
    expect(cacheStats(MARIO_CACHE)?.deleted).toBe(false);
    expect(await (await api(`mailboxes/${MARIO.upn}`)).json()).toMatchObject({ status: 'ok', ref: 'crm-43' });
    expect((await postToken(MARIO.upn)).status).toBe(200);
  });
});
