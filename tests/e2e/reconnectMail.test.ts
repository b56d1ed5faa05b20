// The "reconnect needed" mail, in Italian and English, saved under docs/ (issue 18). The demo cannot make
// a week pass on its host, so this one runs keyrelay's monitor on the test stack (real SDKs against the
// local cloud): a mailbox idle for 10 days gets its keep-alive refresh, Entra ID answers invalid_grant
// (AADSTS50173, sessions revoked), and the next run mails the admin; Chromium shows that mail as sent.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { addDays } from '#src/shared/domain/monitor/expiryPolicy.js';
import { createApp } from '#src/shared/runtime/app.js';
import { launchChromium } from '../support/chromium.js';
import { connectMailbox } from '../support/connectMailbox.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { ALERT_RECIPIENT, ALERT_SENDER, docsDir } from './demoProcess.js';

const MAILBOX = 'mario.rossi@contoso.onmicrosoft.com';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

let stack: TestStack | undefined;
let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await stack?.close();
  stack = undefined;
});

describe('reconnect-needed mail', () => {
  for (const locale of ['it', 'en'] as const) {
    it(`is sent once Entra ID refuses an idle mailbox's keep-alive refresh, and saved as docs/mail-reconnect-${locale}.png`, async () => {
      stack = await startTestStack({
        settings: {
          ALERT_MAIL_AUTH: 'managed-identity',
          ALERT_SENDER,
          ALERT_RECIPIENTS: ALERT_RECIPIENT,
          ALERT_LOCALE: locale,
        },
      });
      await connectMailbox(stack, MAILBOX);
      stack.local.cloud.injectFault({
        service: 'entra',
        route: 'token.refresh_token',
        kind: 'invalid_grant',
        aadsts: 50173,
        remaining: 5,
      });
      const feature = createApp(stack.config, { ...stack.overrides, logger: silent, rotation: false }).monitor();
      const now = addDays(new Date(), 10);
      await feature.monitor.run({ now, runId: 'screenshot-keep-alive' });
      expect((await stack.core.mailboxRegistry.get(MAILBOX))?.status).toBe('reconnect_required');
      await feature.monitor.run({ now, runId: 'screenshot-reconnect' });
      const mail = stack.local.cloud
        .outbox()
        .find((message) => (message.message.body?.content ?? '').includes(MAILBOX));
      expect(mail, 'a mail naming the mailbox to reconnect').toBeDefined();
      const html = mail!.message.body!.content!;
      expect(html).toContain(`lang="${locale}"`);
      expect(html).toContain('/api/connect?loginHint=mario.rossi%40contoso.onmicrosoft.com');

      browser = await launchChromium({ trustedSpkiHashes: [] });
      const page = await browser.newPage({ viewport: { width: 800, height: 200 } });
      await page.setContent(html);
      await page.screenshot({ path: join(docsDir, `mail-reconnect-${locale}.png`), fullPage: true });
    }, 120_000);
  }
});
