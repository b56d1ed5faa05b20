// GET /api/status's use case on the real SDKs: JSON with every credential, mailbox and run, and the
// HTML dashboard (CSP headers, inline SVG, no script) — never a secret value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYRELAY_APP_ID } from '../../../dev/cloud/index.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { htmlResult } from '#src/shared/http/index.js';
import { createApp } from '#src/shared/runtime/app.js';
import type { MonitorFeature } from '#src/shared/runtime/monitor.js';
import { prefersHtml, renderStatusPage } from '#src/shared/services/status/statusPage.js';
import { connectMailbox } from '../../support/connectMailbox.js';
import { startTestStack, type TestStack } from '../../support/stack.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
let stack: TestStack;
let feature: MonitorFeature;

beforeAll(async () => {
  stack = await startTestStack({
    settings: { ALERT_MAIL_AUTH: 'managed-identity', ALERT_SENDER: 'newsletter@contoso.onmicrosoft.com' },
  });
  const keyId = stack.local.clientSecretKeyId;
  stack.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, keyId, addDays(new Date(), 25));
  const mailbox = await connectMailbox(stack, 'mario.rossi@contoso.onmicrosoft.com');
  await stack.core.mailboxRegistry.markReconnectRequired(mailbox.upn, 'invalid_grant:50173', new Date());
  feature = createApp(stack.config, { ...stack.overrides, logger: silent, rotation: false }).monitor();
  await feature.monitor.run();
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('status', () => {
  it('reports credentials with days left, grant health with a reconnect link, and the last run, as JSON without secrets', async () => {
    const report = await feature.status.getStatus();
    const inUse = report.credentials.find((credential) => credential.inUse);
    expect(inUse).toMatchObject({ kind: 'client-secret', daysLeft: 25, status: 'expiring' });
    expect(report.mailboxes[0]).toMatchObject({
      upn: 'mario.rossi@contoso.onmicrosoft.com',
      status: 'reconnect_required',
      lastErrorCode: 'invalid_grant:50173',
      reconnectUrl: `${stack.config.publicBaseUrl}/api/connect?loginHint=mario.rossi%40contoso.onmicrosoft.com`,
    });
    expect(report.runs[0]?.counts.alertsSent).toBe(2);
    const json = JSON.stringify(report);
    expect(json).not.toContain(stack.local.clientSecret);
    for (const secret of stack.local.ctx.servicePrincipals.map((principal) => principal.secret))
      expect(json).not.toContain(secret);
  });

  it('renders an Italian HTML dashboard with an inline SVG timeline under the strict CSP', async () => {
    const report = await feature.status.getStatus();
    const result = htmlResult(200, renderStatusPage(report, 'it'));
    expect(result.headers['Content-Security-Policy']).toContain("default-src 'none'");
    expect(result.headers['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    const html = result.body ?? '';
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|src=|https?:\/\/(?!127\.0\.0\.1)[^"]*\.(css|js)/);
    expect(html).toContain('Stato di keyrelay');
    expect(html).toContain('da ricollegare');
    expect(html).toContain('25 giorni');
    expect(html).not.toContain(stack.local.clientSecret);
  });

  it('warns, in JSON and on the page, when the only alert channel needs the client secret it would alarm about', async () => {
    expect((await feature.status.getStatus()).warnings).toEqual([]);
    const connectedOnly = createApp(
      { ...stack.config, alertMailAuth: 'connected-mailbox' },
      { ...stack.overrides, rotation: false },
    ).monitor();
    const report = await connectedOnly.status.getStatus();
    expect(report.warnings).toEqual(['alarm_channel_needs_secret']);
    expect(renderStatusPage(report, 'en')).toContain('If Entra ID refuses the client secret no alert gets through');
  });

  it('picks HTML only when the browser prefers it', () => {
    expect(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(prefersHtml('application/json')).toBe(false);
    expect(prefersHtml(undefined)).toBe(false);
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
  });
});
