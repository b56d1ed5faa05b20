// The connect flow through a fresh local host while a service it depends on misbehaves: the Entra
// emulator's JWKS answering 503, Key Vault answering 409 to the token-cache write. The host is fresh so
// that it has not fetched (and cached) the signing keys yet.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO_TENANT_ID } from '../../../dev/cloud/index.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import {
  PRODUCT_RETURN_URL,
  startTestHost,
  startTestStack,
  type TestHost,
  type TestStack,
} from '../../support/stack.js';
import { ConnectDriver } from './connectDriver.js';

const MARIO = { upn: 'mario.rossi@contoso.onmicrosoft.com', oid: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d' };

let stack: TestStack;
let host: TestHost;
let driver: ConnectDriver;

beforeAll(async () => {
  stack = await startTestStack();
  host = await startTestHost(stack);
  driver = new ConnectDriver(stack, host);
});

afterEach(() => {
  stack.local.cloud.clearFaults();
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

describe('the callback when a service it depends on fails', () => {
  it('a JWKS outage during the callback answers 503 upstream_unavailable with Retry-After, not invalid sign-in', async () => {
    const flow = await driver.start();
    const callback = await driver.signIn(flow, { upn: MARIO.upn });
    const before = await driver.writtenState();
    stack.local.cloud.injectFault({ service: 'entra', route: 'keys', kind: 'status', status: 503, remaining: 5 });

    const response = await driver.callback(callback, flow.cookie);

    expect(stack.local.cloud.countRequests('entra', 'keys')).toBeGreaterThan(0);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('upstream_unavailable');
    expect(response.body).not.toContain('id_token_bad_signature');
    expect(await driver.writtenState()).toEqual(before);
  });

  it('a 409 on the token-cache write is retried: the mailbox is connected', async () => {
    const flow = await driver.start();
    const callback = await driver.signIn(flow, { upn: MARIO.upn });
    const writesBefore = stack.local.cloud.countRequests('keyvault', 'secrets.set');
    stack.local.cloud.injectFault({ service: 'keyvault', route: 'secrets.set', kind: 'status', status: 409 });

    const response = await driver.callback(callback, flow.cookie);

    expect(response.status).toBe(302);
    expect(response.location).toBe(`${PRODUCT_RETURN_URL}?keyrelay=connected&mailbox=${encodeURIComponent(MARIO.upn)}`);
    expect(stack.local.cloud.countRequests('keyvault', 'secrets.set') - writesBefore).toBe(2);
    const cache = await stack.core.secretStore.getSecret(mailboxCacheSecretName(CONTOSO_TENANT_ID, MARIO.oid));
    expect(cache?.contentType).toBe('application/json');
    expect(await stack.core.mailboxRegistry.get(MARIO.upn)).toMatchObject({ status: 'ok' });
  });
});
