// Abuse limits through the local host, with small limits: sign-ins started per client address per hour
// (429 + Retry-After, no cookie), mailboxes per tenant (a new identity is refused, nothing written) and
// completed sign-ins per tenant per hour (429, nothing written). Real SDKs against the emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';
import { ConnectDriver, expectErrorPage, type FlowStart } from './connectDriver.js';

const MARIO = 'mario.rossi@contoso.onmicrosoft.com';
const GIULIA = 'giulia.bianchi@contoso.onmicrosoft.com';
const NEWSLETTER = 'newsletter@contoso.onmicrosoft.com';

let stack: TestStack;
let host: TestHost;
let driver: ConnectDriver;
let nextAddress = 10;

beforeAll(async () => {
  stack = await startTestStack({
    settings: {
      CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR: '3',
      CONNECT_ATTEMPTS_PER_TENANT_PER_HOUR: '3',
      MAX_MAILBOXES_PER_TENANT: '2',
    },
  });
  host = await startTestHost(stack);
  driver = new ConnectDriver(stack, host);
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

const query = () => `?returnUrl=${encodeURIComponent(driver.returnUrl)}`;
/** A flow from an address of its own, so that only the limit under test counts. */
const freshStart = (): Promise<FlowStart> =>
  driver.start(query(), { 'x-forwarded-for': `198.51.100.${nextAddress++}` });

describe('connect attempts per client address', () => {
  it('the 4th sign-in started from one address within the hour: 429 with Retry-After, no cookie; another address goes on', async () => {
    const headers = { 'x-forwarded-for': 'evil.example, 203.0.113.7:50123' };
    for (let attempt = 0; attempt < 3; attempt += 1) await driver.start(query(), headers);
    const refused = await driver.expectNothingWritten(() => driver.get(`/api/connect${query()}`, headers), 'none');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.setCookies).toEqual([]);
    expect(refused.body).toContain('<code>too_many_requests</code>');
    // A forged first entry does not make a new client: the front end's (last) entry counts.
    const forged = await driver.get(`/api/connect${query()}`, { 'x-forwarded-for': 'other.example, 203.0.113.7' });
    expect(forged.status).toBe(429);
    expect((await driver.start(query(), { 'x-forwarded-for': '203.0.113.8' })).response.status).toBe(302);
  });
});

describe('mailboxes and sign-ins per tenant', () => {
  it('a third identity of a tenant capped at two mailboxes: 403 tenant_mailbox_limit, nothing written', async () => {
    for (const upn of [MARIO, GIULIA]) {
      const flow = await freshStart();
      expect((await driver.callback(await driver.signIn(flow, { upn }), flow.cookie)).status).toBe(302);
    }
    const flow = await freshStart();
    const callback = await driver.signIn(flow, { upn: NEWSLETTER });
    const response = await driver.expectNothingWritten(() => driver.callback(callback, flow.cookie), 'accepted');
    expectErrorPage(response, 403, 'tenant_mailbox_limit', 'Limite di caselle raggiunto');
  });

  it('the 4th completed sign-in of a tenant within the hour: 429 with Retry-After, nothing written', async () => {
    const flow = await freshStart();
    const callback = await driver.signIn(flow, { upn: MARIO });
    const response = await driver.expectNothingWritten(() => driver.callback(callback, flow.cookie), 'accepted');
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.body).toContain('<code>too_many_requests</code>');
  });
});
