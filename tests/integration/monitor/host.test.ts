// The function files on the local host (build in dist/): the timer runs through the admin API, the
// status route answers JSON or the HTML dashboard under the strict CSP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';

let stack: TestStack;
let host: TestHost;

beforeAll(async () => {
  stack = await startTestStack({
    settings: {
      ALERT_MAIL_AUTH: 'managed-identity',
      ALERT_SENDER: 'newsletter@contoso.onmicrosoft.com',
      ROTATION_MODE: 'alert-only',
    },
  });
  stack.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, stack.local.clientSecretKeyId, addDays(new Date(), 7));
  host = await startTestHost(stack);
}, 90_000);

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

describe('expiryMonitor and status on the local host', () => {
  it('POST /admin/functions/expiryMonitor runs the monitor, twice sends one digest', async () => {
    for (let run = 0; run < 2; run += 1) {
      const response = await fetch(`${host.url}/admin/functions/expiryMonitor`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(response.status).toBe(202);
    }
    await expect.poll(() => stack.local.cloud.outbox().length, { timeout: 20_000 }).toBe(1);
    await expect
      .poll(async () => (await stack.core.runReports.latest(5)).filter((r) => r.finishedAt).length, { timeout: 20_000 })
      .toBe(2);
    expect(stack.local.cloud.outbox()).toHaveLength(1);
  }, 60_000);

  it('GET /api/status answers JSON by default and HTML with CSP for browsers, without secrets', async () => {
    const json = await fetch(`${host.url}/api/status`);
    expect(json.status).toBe(200);
    const report = (await json.json()) as { credentials: { daysLeft: number; inUse: boolean }[] };
    expect(report.credentials.find((credential) => credential.inUse)?.daysLeft).toBe(7);
    const html = await fetch(`${host.url}/api/status`, { headers: { Accept: 'text/html', 'Accept-Language': 'en' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await html.text();
    expect(page).toContain('keyrelay status');
    expect(page).toContain('<svg');
    expect(page).not.toContain(stack.local.clientSecret);
    expect(host.logs.join('\n')).not.toContain(stack.local.clientSecret);
  }, 60_000);
});
