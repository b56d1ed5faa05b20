// The screenshots under docs/ (issue 18), each produced through the real flow of `npm run demo`: the
// simulator; the status page at 1280 and 390 px wide, with its language switch; and the admin's mails —
// a secret expiring, renewed, a renewal Entra ID refuses (addPassword 403 injected through the
// simulator's failure control) — in Italian and in English (`npm run demo -- --alert-locale en`).
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Locale } from '#src/shared/presentation/locale.js';
import {
  ALERT_RECIPIENT,
  connectAlertSender,
  docsDir,
  launchForDemo,
  reloadUntil,
  startDemo,
  stopDemo,
  stopRunningDemos,
  type RunningDemo,
} from './demoProcess.js';

const DESKTOP = { width: 1280, height: 900 };
const MOBILE = { width: 390, height: 844 };
/** A frame sized to its mail leaves at most this much blank below the mail's last line. */
const MAIL_FRAME_SLACK_PX = 240;

let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await stopRunningDemos();
});

const contextFor = (locale: Locale, viewport: typeof DESKTOP): Promise<BrowserContext> =>
  browser!.newContext({ locale: locale === 'it' ? 'it-IT' : 'en-GB', viewport });

const alertRows = (page: Page) => page.locator('#outbox tr.mail').filter({ hasText: ALERT_RECIPIENT });

async function backToSimulator(page: Page, demo: RunningDemo): Promise<void> {
  await page.waitForURL((url) => url.origin === demo.simulatorUrl && url.pathname === '/');
}

async function expireSecretIn(page: Page, demo: RunningDemo, days: number): Promise<void> {
  await page.fill('input[name="days"]', String(days));
  await page.click('#client-secret form[action="/actions/expire"] button');
  await backToSimulator(page, demo);
  expect(await page.locator('#client-secret tr[data-in-use] .days-left').innerText()).toBe(String(days));
}

/** Runs the monitor, waits for its mail to the admin, opens it and saves the page as docs/<file>. */
async function monitorMail(page: Page, demo: RunningDemo, locale: Locale, file: string): Promise<string> {
  const before = await alertRows(page).count();
  await page.click('#monitor button');
  await backToSimulator(page, demo);
  await reloadUntil(page, async () => (await alertRows(page).count()) > before, `mail ${file}`);
  await alertRows(page).first().locator('a').click();
  await page.waitForSelector('#mail-subject');
  const mail = page.frameLocator('iframe');
  expect(await mail.locator('html').getAttribute('lang')).toBe(locale);
  // The frame fits the mail: nothing cut off at the bottom, no tall blank under it.
  const frameBox = (await page.locator('iframe').boundingBox())!;
  const lastBox = (await mail.locator('body > :last-child').boundingBox())!;
  const blank = frameBox.y + frameBox.height - (lastBox.y + lastBox.height);
  expect(blank, `${file}: blank below the mail`).toBeGreaterThanOrEqual(0);
  expect(blank, `${file}: blank below the mail`).toBeLessThan(MAIL_FRAME_SLACK_PX);
  await page.screenshot({ path: join(docsDir, file), fullPage: true });
  const text = await mail.locator('body').innerText();
  await page.goto(`${demo.simulatorUrl}/?lang=${locale}`);
  return text;
}

async function statusScreenshots(statusHref: string, locale: Locale): Promise<void> {
  const other: Locale = locale === 'it' ? 'en' : 'it';
  for (const [viewport, file] of [
    [DESKTOP, `status-${locale}.png`],
    [MOBILE, `status-mobile-${locale}.png`],
  ] as const) {
    const context = await contextFor(locale, viewport);
    const page = await context.newPage();
    const response = await page.goto(statusHref);
    expect(response?.status()).toBe(200);
    expect(await page.locator('html').getAttribute('lang')).toBe(locale);
    // Nothing wider than the screen but the scrolling table boxes.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
    await page.screenshot({ path: join(docsDir, file), fullPage: true });
    // The language switch: a plain link that keeps the function key and changes only the language.
    await page.click(`nav.language a[lang="${other}"]`);
    await page.waitForURL((url) => url.searchParams.get('lang') === other);
    expect(await page.locator('html').getAttribute('lang')).toBe(other);
    expect(new URL(page.url()).searchParams.get('code')).toBe(new URL(statusHref).searchParams.get('code'));
    await context.close();
  }
}

async function startConnected(locale: Locale): Promise<{ demo: RunningDemo; page: Page }> {
  const demo = await startDemo(['--alert-locale', locale]);
  const launched = await launchForDemo(demo);
  browser = launched.browser;
  const page = await (await contextFor(locale, DESKTOP)).newPage();
  await page.goto(`${demo.simulatorUrl}/?lang=${locale}`);
  await connectAlertSender(page, demo, launched.entraOrigin);
  return { demo, page };
}

async function stop(demo: RunningDemo): Promise<void> {
  await browser?.close();
  browser = undefined;
  await stopDemo(demo);
}

describe('screenshots under docs/', () => {
  for (const locale of ['it', 'en'] as const) {
    const language = locale === 'it' ? 'Italian' : 'English';

    it(`saves the expiring and renewed mails, the simulator and the status page (1280 and 390 px) in ${language}`, async () => {
      const { demo, page } = await startConnected(locale);
      // 45 days: past the 60-day alert, before the 30-day renewal: the admin is told it is expiring.
      await expireSecretIn(page, demo, 45);
      expect(await monitorMail(page, demo, locale, `mail-expiring-${locale}.png`)).toContain('45');

      // 20 days: keyrelay renews the secret and says so.
      await expireSecretIn(page, demo, 20);
      await monitorMail(page, demo, locale, `mail-renewed-${locale}.png`);
      expect(await page.locator('#rotations [data-step="switched"]').count()).toBe(1);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth),
        'the simulator fits 1280 px',
      ).toBeLessThanOrEqual(DESKTOP.width);
      await page.screenshot({ path: join(docsDir, `simulator-${locale}.png`), fullPage: true });
      await statusScreenshots((await page.locator('#status-page').getAttribute('href'))!, locale);
      await stop(demo);
    }, 300_000);

    // A failed renewal is retried on the next daily run, never sooner: this story needs a demo of its own.
    it(`saves the mail of a renewal Entra ID refuses in ${language}`, async () => {
      const { demo, page } = await startConnected(locale);
      await page.click('#refuse-secrets button');
      await backToSimulator(page, demo);
      await expireSecretIn(page, demo, 20);
      await monitorMail(page, demo, locale, `mail-renewal-failing-${locale}.png`);
      expect(await page.locator('#rotations [data-step="failed"]').count()).toBe(1);
      expect(await page.locator('#rotations [data-step="switched"]').count()).toBe(0);
      await stop(demo);
    }, 300_000);
  }
});
