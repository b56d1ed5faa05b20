// The digest as an admin sees it: the monitor runs on the local cloud, the mail it sent through Graph is
// opened in headless Chromium, and the key facts are read from the rendered page (Italian and English).
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYRELAY_APP_ID } from '../../dev/cloud/index.js';
import { portalCredentialsUrl } from '#src/shared/domain/monitor/digest.js';
import { formatDate } from '#src/shared/presentation/time.js';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { createApp } from '#src/shared/runtime/app.js';
import { connectMailbox } from '../support/connectMailbox.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
let stack: TestStack;
let browser: Browser;
let expiresAt: Date;
let revokedUpn: string;

beforeAll(async () => {
  stack = await startTestStack({
    settings: {
      ALERT_MAIL_AUTH: 'managed-identity',
      ALERT_SENDER: 'newsletter@contoso.onmicrosoft.com',
      ROTATION_MODE: 'alert-only',
    },
  });
  expiresAt = addDays(new Date(), 30);
  stack.local.cloud.setCredentialEndDateTime(KEYRELAY_APP_ID, stack.local.clientSecretKeyId, expiresAt);
  const mailbox = await connectMailbox(stack, 'giulia.bianchi@contoso.onmicrosoft.com');
  revokedUpn = mailbox.upn;
  await stack.core.mailboxRegistry.markReconnectRequired(mailbox.upn, 'invalid_grant:50173', new Date());
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function visibleText(html: string): Promise<{ text: string; links: string[] }> {
  const page = await browser.newPage({ javaScriptEnabled: false });
  try {
    await page.setContent(html);
    const text = await page.locator('body').innerText();
    const links = await page.locator('a').evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
    return { text, links };
  } finally {
    await page.close();
  }
}

describe('digest in the browser', () => {
  it('the Italian digest shows the date, days left, app id, steps and links', async () => {
    await createApp(stack.config, { ...stack.overrides, logger: silent, rotation: false })
      .monitor()
      .monitor.run();
    const [mail] = stack.local.cloud.outbox();
    const { text, links } = await visibleText(mail?.message.body?.content ?? '');
    expect(text).toContain(formatDate(expiresAt, { locale: 'it', timeZone: stack.config.alertTimeZone }));
    expect(text).toContain('scade tra 30 giorni');
    expect(text).toContain(KEYRELAY_APP_ID);
    expect(text).toContain('Cosa devi fare');
    expect(text).toContain('SMTP.Send');
    expect(links).toContain(portalCredentialsUrl(KEYRELAY_APP_ID));
    expect(links).toContain(`${stack.config.publicBaseUrl}/api/connect?loginHint=${encodeURIComponent(revokedUpn)}`);
    expect(mail?.message.attachments?.some((attachment) => attachment.name?.endsWith('.ics'))).toBe(true);
  }, 60_000);

  it('the English digest shows the same facts in English', async () => {
    const english = createApp(
      { ...stack.config, alertLocale: 'en' },
      { ...stack.overrides, logger: silent, rotation: false },
    );
    // Sixteen days later the 14-day threshold is due.
    await english.monitor().monitor.run({ now: addDays(new Date(), 16) });
    const mail = stack.local.cloud.outbox().at(-1);
    const { text, links } = await visibleText(mail?.message.body?.content ?? '');
    expect(text).toContain(formatDate(expiresAt, { locale: 'en', timeZone: stack.config.alertTimeZone }));
    expect(text).toContain('expires in 14 days');
    expect(text).toContain(KEYRELAY_APP_ID);
    expect(text).toContain('What you need to do');
    expect(text).toContain('New client secret');
    expect(links).toContain(portalCredentialsUrl(KEYRELAY_APP_ID));
  }, 60_000);
});
