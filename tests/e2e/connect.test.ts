// Issue 4, "done when" 1: a real browser opens /api/connect, signs in on the Entra emulator's page and
// lands on the product's return URL with keyrelay=connected; Key Vault then holds the mailbox's token
// cache and the registry has its row. Issue 16: the product's `ref` comes back on the return URL and
// GET /api/mailboxes/{mailbox} confirms it.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CONTOSO_TENANT_ID } from '../../dev/cloud/index.js';
import { mailboxCacheSecretName } from '#src/shared/domain/connect/idTokenClaims.js';
import { launchChromium, serverSpkiHash } from '../support/chromium.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../support/stack.js';

const FUNCTION_KEY = 'e2e-connect-key';
const REF = 'actnow-crm.7f3a';
const MARIO = { upn: 'mario.rossi@contoso.onmicrosoft.com', oid: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d' };

let product: Server;
let productReturnUrl: string;
let stack: TestStack;
let host: TestHost;
let browser: Browser;

/** Stands in for the product's settings page, on this machine: the browser reaches nothing else. */
function startProduct(): Promise<Server> {
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>ActNow</h1>'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  product = await startProduct();
  const address = product.address();
  productReturnUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/settings/mail`;
  stack = await startTestStack({ settings: { ALLOWED_RETURN_URLS: productReturnUrl } });
  host = await startTestHost(stack, { functionKey: FUNCTION_KEY });
  browser = await launchChromium({
    trustedSpkiHashes: [await serverSpkiHash(stack.local.urls.entra, stack.local.ca.certPem)],
  });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await stack?.close();
  await new Promise((resolve) => product?.close(resolve));
});

describe('connect in headless Chromium', () => {
  it('opens /api/connect, signs in on the Entra page and lands on the return URL with keyrelay=connected and the ref', async () => {
    const context = await browser.newContext({ locale: 'it-IT' });
    const page = await context.newPage();
    await page.goto(
      `${host.url}/api/connect?returnUrl=${encodeURIComponent(productReturnUrl)}&loginHint=${encodeURIComponent(MARIO.upn)}&ref=${REF}`,
    );
    expect(page.url().startsWith(`${stack.local.urls.entra}/organizations/oauth2/v2.0/authorize?`)).toBe(true);
    await expect.poll(() => page.isChecked(`input[data-upn="${MARIO.upn}"]`)).toBe(true);
    await page.check('input[name="consent"]');
    await Promise.all([page.waitForURL(`${productReturnUrl}?**`), page.click('button[value="accept"]')]);

    const landed = new URL(page.url());
    expect(`${landed.origin}${landed.pathname}`).toBe(productReturnUrl);
    expect(landed.searchParams.get('keyrelay')).toBe('connected');
    expect(landed.searchParams.get('mailbox')).toBe(MARIO.upn);
    expect(landed.searchParams.get('ref')).toBe(REF);
    expect([...landed.searchParams.keys()].sort()).toEqual(['keyrelay', 'mailbox', 'ref']);
    // The product checks the landing (anyone can forge the link) with its function key.
    const check = await fetch(`${host.url}/api/mailboxes/${encodeURIComponent(MARIO.upn)}`, {
      headers: { 'x-functions-key': FUNCTION_KEY },
    });
    expect(await check.json()).toMatchObject({
      mailbox: MARIO.upn,
      tenantId: CONTOSO_TENANT_ID,
      status: 'ok',
      ref: REF,
    });

    const cache = await stack.core.secretStore.getSecret(mailboxCacheSecretName(CONTOSO_TENANT_ID, MARIO.oid));
    expect(JSON.parse(cache?.value ?? '{}')).toHaveProperty('RefreshToken');
    expect(await stack.core.mailboxRegistry.get(MARIO.upn)).toMatchObject({
      tenantId: CONTOSO_TENANT_ID,
      objectId: MARIO.oid,
      status: 'ok',
    });
    // The flow cookie was cleared on the way back.
    expect((await context.cookies(host.url)).filter((cookie) => cookie.name.includes('keyrelay-auth'))).toEqual([]);
    await context.close();
  });
});
