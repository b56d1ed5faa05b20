// ALLOWED_TENANTS at its default (AZURE_TENANT_ID, the home tenant contoso): a user of another tenant
// (fabrikam) cannot connect, and a fabrikam mailbox connected while fabrikam was allowed gets no more
// tokens. Real MSAL and Azure SDKs through the local host against the emulators and Azurite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMailbox } from '../../support/connectMailbox.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';
import { ConnectDriver, expectErrorPage } from './connectDriver.js';

const FUNCTION_KEY = 'tenants-test-key';
const ANNA = 'anna.verdi@fabrikam.onmicrosoft.com';
const GIULIA = 'giulia.bianchi@contoso.onmicrosoft.com';

let stack: TestStack;
let host: TestHost;
let driver: ConnectDriver;

beforeAll(async () => {
  // Blank counts as unset: the default, AZURE_TENANT_ID.
  stack = await startTestStack({ settings: { ALLOWED_TENANTS: '' } });
  host = await startTestHost(stack, { functionKey: FUNCTION_KEY });
  driver = new ConnectDriver(stack, host);
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

describe('ALLOWED_TENANTS at its default (the home tenant only)', () => {
  it('a user of another tenant is refused at the callback: 403 tenant_not_allowed, nothing written anywhere', async () => {
    const flow = await driver.start();
    const callback = await driver.signIn(flow, { upn: ANNA });
    const response = await driver.expectNothingWritten(() => driver.callback(callback, flow.cookie), 'accepted');
    expectErrorPage(response, 403, 'tenant_not_allowed', 'Organizzazione non ammessa');
  });

  it('a user of the home tenant connects', async () => {
    const flow = await driver.start();
    const response = await driver.callback(await driver.signIn(flow, { upn: GIULIA }), flow.cookie);
    expect(response.status).toBe(302);
    expect(await stack.core.mailboxRegistry.get(GIULIA)).toMatchObject({ status: 'ok' });
  });

  it('/api/token refuses a mailbox whose tenant left the list: 403 tenant_not_allowed, the row is kept', async () => {
    // Connected while fabrikam was allowed (written directly, as an older configuration would have).
    await connectMailbox(stack, ANNA);
    const response = await fetch(`${host.url}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY },
      body: JSON.stringify({ mailbox: ANNA, resource: 'smtp' }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'tenant_not_allowed', message: expect.any(String) as string });
    expect(await stack.core.mailboxRegistry.get(ANNA)).toMatchObject({ status: 'ok' });
  });
});
