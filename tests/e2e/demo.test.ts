// `npm run demo` end to end (issue 9): starts exactly that command, reads the one URL it prints, and in
// headless Chromium plays the whole story — connect a mailbox, get an SMTP token, move the client secret
// to 20 days before expiry, run the monitor, read the Italian alert, go secretless — then stops the demo with Ctrl+C
// (SIGINT to its process group, as a terminal does) and checks that nothing is left behind. Saves the
// README screenshots under docs/.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium, serverSpkiHash } from '../support/chromium.js';
import {
  ALERT_RECIPIENT,
  ALERT_SENDER,
  connectAlertSender,
  docsDir,
  expectCleanStop,
  portIsFree,
  portOf,
  reloadUntil,
  startDemo,
  stopDemo,
  stopRunningDemos,
} from './demoProcess.js';

/** A complete compact JWS (header.payload.signature): what a leaked access token looks like. */
const FULL_JWT = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await stopRunningDemos();
});

describe('npm run demo', () => {
  it('connects a mailbox, issues a redacted SMTP token, rotates the secret and alerts the admin in Italian 20 days before it expires, sends a test mail over SMTP, goes secretless, and stops cleanly on Ctrl+C', async () => {
    const demo = await startDemo();
    const printedUrls = demo.output.join('\n').match(/https?:\/\/\S+/g) ?? [];
    expect(printedUrls).toEqual([`${demo.simulatorUrl}/`]);

    const home = await fetch(`${demo.simulatorUrl}/?lang=en`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
    const homeHtml = await home.text();
    const entraOrigin = /id="sign-in-origin" data-origin="([^"]+)"/.exec(homeHtml)?.[1];
    expect(entraOrigin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const caPem = await readFile(demo.caCertificatePath, 'utf8');
    browser = await launchChromium({ trustedSpkiHashes: [await serverSpkiHash(entraOrigin!, caPem)] });
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();

    // 1. Connect the alert sender's mailbox through keyrelay and the local Entra sign-in page.
    await page.goto(`${demo.simulatorUrl}/?lang=en`);
    const hostUrl = new URL((await page.locator('#connect-sender').getAttribute('href'))!).origin;
    await connectAlertSender(page, demo, entraOrigin!);

    // 2. Get an SMTP token: the XOAUTH2 parts are shown, the token itself only as a prefix.
    await page.locator(`tr[data-mailbox="${ALERT_SENDER}"] form[action="/actions/token"] button`).click();
    await page.waitForSelector('#smtp-token');
    const xoauth2 = await page.locator('#xoauth2').innerText();
    expect(xoauth2).toContain(`user=${ALERT_SENDER}`);
    expect(xoauth2).toMatch(/auth=Bearer \S{8}…/);
    const tokenPanel = await page.locator('#smtp-token').innerText();
    expect(tokenPanel).toContain('smtp.office365.com:587 (STARTTLS)');
    expect(tokenPanel).toContain('the XOAUTH2 string carries this mailbox and this token');
    expect(await page.content()).not.toMatch(FULL_JWT);

    // 3. Move the client secret in use to 20 days before expiry (Graph and Key Vault).
    await page.fill('input[name="days"]', '20');
    await page.click('#client-secret form[action="/actions/expire"] button');
    await page.waitForURL((url) => url.origin === demo.simulatorUrl);
    expect(await page.locator('#client-secret tr[data-in-use] .days-left').innerText()).toBe('20');

    const expiringKeyId = await page.locator('#client-secret tr[data-in-use]').getAttribute('data-key-id');

    // 4. Run the monitor: 20 days is inside the rotation lead (30), so keyrelay renews the secret.
    await page.click('#monitor button');
    await page.waitForURL((url) => url.origin === demo.simulatorUrl);
    expect(await page.locator('#rotations [data-step="switched"]').innerText()).toBe('new secret in use');
    const renewedKeyId = await page.locator('#client-secret tr[data-in-use]').getAttribute('data-key-id');
    expect(renewedKeyId).not.toBe(expiringKeyId);
    expect(Number(await page.locator('#client-secret tr[data-in-use] .days-left').innerText())).toBeGreaterThan(700);

    // 5. The Italian alert reaches the admin.
    await reloadUntil(page, async () => (await page.locator('#outbox tr.mail').count()) > 0, 'the alert in the outbox');
    const alertRow = page.locator('#outbox tr.mail').filter({ hasText: ALERT_RECIPIENT }).first();
    await expect.poll(() => alertRow.count()).toBe(1);
    expect(await alertRow.innerText()).toContain(ALERT_SENDER);
    expect(await alertRow.locator('.subject').innerText()).toMatch(/^\[keyrelay\] /);
    await page.screenshot({ path: join(docsDir, 'simulator.png'), fullPage: true });

    await alertRow.locator('a').click();
    await page.waitForSelector('#mail-subject');
    const mailFrame = page.frameLocator('iframe');
    expect(await mailFrame.locator('html').getAttribute('lang')).toBe('it');
    const mailText = await mailFrame.locator('body').innerText();
    expect(mailText).toMatch(/scad/i);
    expect(mailText).toContain('20');
    await page.screenshot({ path: join(docsDir, 'alert-mail.png'), fullPage: true });

    // 6. "Send a test mail": /api/token's answer, then AUTH XOAUTH2 over STARTTLS to the SMTP emulator.
    await page.goto(`${demo.simulatorUrl}/?lang=en`);
    await page.locator(`tr[data-mailbox="${ALERT_SENDER}"] form[action="/actions/testmail"] button`).click();
    await page.waitForURL((url) => url.origin === demo.simulatorUrl);
    expect(await page.locator('body').innerText()).toContain(`Test mail sent from ${ALERT_SENDER} over SMTP`);
    expect(await page.locator('#outbox tr.mail').filter({ hasText: 'keyrelay: test mail over SMTP' }).count()).toBe(1);

    // The admin's status page, linked from the simulator (function key in the link).
    await page.goto(`${demo.simulatorUrl}/?lang=en`);
    const statusHref = (await page.locator('#status-page').getAttribute('href'))!;
    expect(new URL(statusHref).origin).toBe(hostUrl);
    const statusResponse = await page.goto(statusHref);
    expect(statusResponse?.status()).toBe(200);
    expect(statusResponse?.headers()['content-type']).toContain('text/html');
    expect(await page.locator('body').innerText()).toContain(ALERT_SENDER);
    expect(await page.content()).not.toMatch(FULL_JWT);
    await page.screenshot({ path: join(docsDir, 'status.png'), fullPage: true });

    // 7. "Go secretless" (issue 15): setup --federated, the switch (the host restarts federated), the old
    // secret removed from the app and Key Vault, then the monitor: nothing is left to expire.
    await page.goto(`${demo.simulatorUrl}/?lang=en`);
    expect(await page.locator('#posture').getAttribute('data-posture')).toBe('secret');
    await page.click('#go-secretless button');
    await page.waitForURL((url) => url.origin === demo.simulatorUrl);
    const afterSwitch = await page.locator('body').innerText();
    expect(afterSwitch).toContain('keyrelay now signs in with its managed identity as a federated credential');
    expect(afterSwitch).toMatch(/Monitor run finished|Monitor started/);
    expect(afterSwitch).not.toContain('Migration stopped');
    expect(await page.locator('#posture').getAttribute('data-posture')).toBe('federated');
    expect(await page.locator('#posture').innerText()).toContain('no secret in use');
    // No secret is in use any more and the one keyrelay used is gone from the app (and Key Vault). What is
    // left is the rotation's overlap secret from step 4 (the setup removes only the secret in Key Vault):
    // the monitor in federated mode reports it as a leftover to remove.
    expect(await page.locator('#client-secret tr[data-in-use]').count()).toBe(0);
    expect(await page.locator(`#client-secret tr[data-key-id="${renewedKeyId}"]`).count()).toBe(0);
    expect(
      await page
        .locator('#client-secret tr[data-key-id]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key-id'))),
    ).toEqual([expiringKeyId]);
    expect(await page.locator('#client-secret form[action="/actions/expire"]').count()).toBe(0);
    expect(await page.locator('#go-secretless').count()).toBe(0);
    expect(demo.output.join('\n')).toContain('client secret removed');
    // The token still works after the switch: a fresh SMTP token through the federated credential.
    await page.locator(`tr[data-mailbox="${ALERT_SENDER}"] form[action="/actions/token"] button`).click();
    await page.waitForSelector('#smtp-token');
    expect(await page.locator('body').innerText()).not.toContain('Token refused');
    expect(await page.locator('#xoauth2').innerText()).toContain(`user=${ALERT_SENDER}`);
    expect(await page.content()).not.toMatch(FULL_JWT);
    await page.screenshot({ path: join(docsDir, 'secretless.png'), fullPage: true });
    await page.goto(statusHref);
    expect(await page.locator('body').innerText()).toContain(
      'Credential: federated managed identity, no secret to expire',
    );
    await browser.close();
    browser = undefined;

    // Ctrl+C: a clean exit, every port free again, the session's temporary files gone.
    expectCleanStop(demo, await stopDemo(demo));
    for (const url of [demo.simulatorUrl, hostUrl, entraOrigin!]) expect(await portIsFree(portOf(url))).toBe(true);
    expect(existsSync(dirname(demo.caCertificatePath))).toBe(false);
  }, 300_000);

  it('starts again after a first run has stopped: fresh ports, and Ctrl+C stops it cleanly', async () => {
    const first = await startDemo();
    expectCleanStop(first, await stopDemo(first));
    const second = await startDemo();
    expect(second.simulatorUrl).not.toBe('');
    expect(dirname(second.caCertificatePath)).not.toBe(dirname(first.caCertificatePath));
    const page = await fetch(`${second.simulatorUrl}/?lang=en`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('ActNow');
    expectCleanStop(second, await stopDemo(second));
    expect(await portIsFree(portOf(second.simulatorUrl))).toBe(true);
    expect(existsSync(dirname(second.caCertificatePath))).toBe(false);
  }, 300_000);

  it('refuses a bad "expire in N days" request or one without the form token with a 400 page and changes nothing', async () => {
    const demo = await startDemo();
    const readPage = async () => fetch(`${demo.simulatorUrl}/?lang=en`).then((r) => r.text());
    const inUseDays = (html: string) => /data-in-use>[\s\S]*?class="days-left"><span[^>]*>(-?\d+)</.exec(html)?.[1];
    const before = await readPage();
    const formToken = /name="token" value="([^"]+)"/.exec(before)?.[1];
    expect(formToken).toBeDefined();
    const post = (fields: Record<string, string>) =>
      fetch(`${demo.simulatorUrl}/actions/expire`, {
        method: 'POST',
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });

    for (const days of ['-1', '731', 'abc', '20.5', '', '1e2']) {
      const response = await post({ token: formToken!, lang: 'en', days });
      expect(response.status, `days=${days}`).toBe(400);
      expect(await response.text()).toContain('Give a whole number of days from 0 to 730.');
    }
    const forged = await post({ token: 'not-the-token', lang: 'en', days: '1' });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('Invalid request');
    expect(inUseDays(await readPage())).toBe(inUseDays(before));
    expect(Number(inUseDays(before))).toBeGreaterThan(600);
    expectCleanStop(demo, await stopDemo(demo));
  }, 300_000);
});
