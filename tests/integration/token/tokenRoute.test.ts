// POST /api/token through the local host running the build (dist/), as the product calls it.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTOSO_TENANT_ID } from '../../../dev/cloud/index.js';
import { connectMailbox } from '../../support/connectMailbox.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../../support/stack.js';

const FUNCTION_KEY = 'token-route-test-key';
const MARIO = 'mario.rossi@contoso.onmicrosoft.com';
const GIULIA = 'giulia.bianchi@contoso.onmicrosoft.com';

let stack: TestStack;
let host: TestHost;

beforeAll(async () => {
  stack = await startTestStack();
  host = await startTestHost(stack, { functionKey: FUNCTION_KEY });
  await connectMailbox(stack, MARIO);
});

afterAll(async () => {
  await host?.close();
  await stack?.close();
});

function postToken(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${host.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY, ...headers },
    body,
  });
}

describe('POST /api/token', () => {
  it('answers an smtp grant whose xoauth2 carries an Outlook-audience token, with Cache-Control no-store', async () => {
    const response = await postToken(JSON.stringify({ mailbox: MARIO, resource: 'smtp' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const grant = (await response.json()) as Record<string, unknown>;
    expect(grant).toMatchObject({
      mailbox: MARIO,
      resource: 'smtp',
      tokenType: 'Bearer',
      smtp: { host: 'smtp.office365.com', port: 587, security: 'STARTTLS' },
    });
    const accessToken = String(grant.accessToken);
    expect(Buffer.from(String(grant.xoauth2), 'base64').toString('utf8')).toBe(
      `user=${MARIO}\x01auth=Bearer ${accessToken}\x01\x01`,
    );
    expect(await stack.local.verifier.verify(accessToken, 'https://outlook.office.com')).toMatchObject({ upn: MARIO });
    expect(host.logs.join('\n')).not.toContain(accessToken);
  });

  it('defaults to smtp and answers graph with a Graph-audience token', async () => {
    const smtp = (await (await postToken(JSON.stringify({ mailbox: MARIO }))).json()) as { resource: string };
    expect(smtp.resource).toBe('smtp');
    const response = await postToken(JSON.stringify({ mailbox: MARIO, resource: 'graph' }));
    const grant = (await response.json()) as { accessToken: string; xoauth2?: string };
    await stack.local.verifier.verify(grant.accessToken, 'https://graph.microsoft.com');
    expect(grant.xoauth2).toBeUndefined();
  });

  it('a warm request through the host makes no outbound call', async () => {
    await postToken(JSON.stringify({ mailbox: MARIO, resource: 'smtp' }));
    stack.local.cloud.clearRequestLog();
    expect((await postToken(JSON.stringify({ mailbox: MARIO, resource: 'smtp' }))).status).toBe(200);
    expect(stack.local.cloud.requestLog().entries).toEqual([]);
  });

  it('answers with the tenant of the cached account, and audits the hand-out without the address', async () => {
    const grant = (await (await postToken(JSON.stringify({ mailbox: MARIO, resource: 'graph' }))).json()) as Record<
      string,
      unknown
    >;
    expect(grant).toMatchObject({ mailbox: MARIO, tenantId: CONTOSO_TENANT_ID });
    const audit = new RegExp(
      `audit\\.token mailbox=[0-9a-f]{32} tid=${CONTOSO_TENANT_ID} resource=graph outcome=issued`,
    );
    await vi.waitFor(() => expect(host.logs.some((line) => audit.test(line))).toBe(true));
    expect(host.logs.filter((line) => line.includes('audit.')).join('\n')).not.toContain(MARIO);
  });

  it("refuses a row whose address is not the cached account's (a renamed or reused upn): 409, no token handed out", async () => {
    const newsletter = await connectMailbox(stack, 'newsletter@contoso.onmicrosoft.com');
    await stack.core.mailboxRegistry.upsert({ ...newsletter.record, upn: 'old.name@contoso.onmicrosoft.com' });
    const response = await postToken(JSON.stringify({ mailbox: 'old.name@contoso.onmicrosoft.com', resource: 'smtp' }));
    expect(response.status).toBe(409);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'reconnect_required' });
    expect(body).not.toHaveProperty('accessToken');
    expect(await stack.core.mailboxRegistry.get('old.name@contoso.onmicrosoft.com')).toMatchObject({
      status: 'reconnect_required',
      lastErrorCode: 'cache_account_mismatch',
    });
  });

  it('an unknown mailbox -> 404 mailbox_not_connected', async () => {
    const response = await postToken(JSON.stringify({ mailbox: 'nobody@contoso.onmicrosoft.com' }));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'mailbox_not_connected' });
  });

  it('refuses a request without the function key', async () => {
    const response = await postToken(JSON.stringify({ mailbox: MARIO }), { 'x-functions-key': 'wrong' });
    expect(response.status).toBe(401);
  });

  it('an unknown 500 logs the error name and its cause name, never the message', async () => {
    await connectMailbox(stack, GIULIA);
    // Key Vault refusing keyrelay (403) is no outage and no bad input: a generic 500 for the caller.
    stack.local.cloud.injectFault({
      service: 'keyvault',
      route: 'secrets.get',
      kind: 'status',
      status: 403,
      remaining: Infinity,
    });
    try {
      const response = await postToken(JSON.stringify({ mailbox: GIULIA, resource: 'graph' }));
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: 'internal_error' });
    } finally {
      stack.local.cloud.clearFaults();
    }
    const line = await vi.waitFor(() => {
      const found = host.logs.find((logLine) => /token\.failed status=500/.test(logLine));
      expect(found).toBeDefined();
      return found!;
    });
    expect(line).toMatch(/error=StoreRequestError/);
    expect(line).toMatch(/cause=RestError/);
    expect(line).not.toMatch(/read secret|Injected fault|mbx-/);
  });

  it.each([
    ['an empty body', ''],
    ['invalid JSON', '{"mailbox": '],
    ['an unknown resource', JSON.stringify({ mailbox: MARIO, resource: 'imap' })],
    ['a malformed mailbox', JSON.stringify({ mailbox: 'not a mailbox' })],
    ['a 10 KB mailbox', JSON.stringify({ mailbox: `${'m'.repeat(10 * 1024)}@contoso.onmicrosoft.com` })],
    ['a 1 MB body', JSON.stringify({ mailbox: MARIO, padding: 'p'.repeat(1024 * 1024) })],
  ])('%s -> 400 invalid_request, with no Key Vault or Entra call', async (_case, body) => {
    stack.local.cloud.clearRequestLog();
    const response = await postToken(body);
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe('invalid_request');
    expect(answer.message.length).toBeGreaterThan(0);
    expect(answer.message.length).toBeLessThan(300);
    expect(JSON.stringify(answer)).not.toMatch(/ at .*\.js|mmmmmmmm|pppppppp/);
    expect(stack.local.cloud.requestLog().entries).toEqual([]);
  });
});

// DESIGN §7: SMTP in the loop. nodemailer (a real SMTP client) submits through the SMTP emulator with
// /api/token's answer: EHLO, STARTTLS, AUTH XOAUTH2 with the Outlook-audience token, MAIL, DATA.
describe('SMTP with a real client and /api/token', () => {
  async function smtpGrant(mailbox: string): Promise<{ accessToken: string }> {
    const response = await postToken(JSON.stringify({ mailbox, resource: 'smtp' }));
    expect(response.status).toBe(200);
    return (await response.json()) as { accessToken: string };
  }

  function transportFor(mailbox: string, accessToken: string) {
    const [host, port] = stack.settings.SMTP_ENDPOINT!.split(':');
    return nodemailer.createTransport({
      host,
      port: Number(port),
      secure: false,
      requireTLS: true,
      auth: { type: 'OAuth2', user: mailbox, accessToken },
    });
  }

  const stringContaining = (text: string): unknown => expect.stringContaining(text);

  function user(upn: string) {
    return stack.local.ctx.tenants.flatMap((tenant) => tenant.users).find((candidate) => candidate.upn === upn)!;
  }

  it('sends a mail with AUTH XOAUTH2 over STARTTLS, and the mail lands in the outbox', async () => {
    const { accessToken } = await smtpGrant(MARIO);

    const info = await transportFor(MARIO, accessToken).sendMail({
      from: MARIO,
      to: 'cliente@example.com',
      subject: 'Prova SMTP keyrelay',
      text: 'Ciao dal test.',
    });

    expect(info.accepted).toEqual(['cliente@example.com']);
    const delivered = stack.local.cloud.outbox().find((message) => message.message.subject === 'Prova SMTP keyrelay');
    expect(delivered).toMatchObject({
      from: MARIO,
      message: { toRecipients: [{ emailAddress: { address: 'cliente@example.com' } }] },
    });
  });

  it('a mailbox with SMTP AUTH disabled is refused with 535 5.7.139, a shared mailbox with 535 5.7.3', async () => {
    const { accessToken } = await smtpGrant(MARIO);
    user(MARIO).smtpAuthDisabled = true;
    try {
      await expect(transportFor(MARIO, accessToken).verify()).rejects.toMatchObject({
        responseCode: 535,
        response: stringContaining('5.7.139'),
      });
    } finally {
      user(MARIO).smtpAuthDisabled = false;
    }
    user(MARIO).sharedMailbox = true;
    try {
      await expect(transportFor(MARIO, accessToken).verify()).rejects.toMatchObject({
        responseCode: 535,
        response: stringContaining('5.7.3'),
      });
    } finally {
      user(MARIO).sharedMailbox = false;
    }
  });

  it('refuses a Graph-audience token and a token presented for another mailbox', async () => {
    const graph = (await (await postToken(JSON.stringify({ mailbox: MARIO, resource: 'graph' }))).json()) as {
      accessToken: string;
    };
    await expect(transportFor(MARIO, graph.accessToken).verify()).rejects.toMatchObject({ responseCode: 535 });
    const { accessToken } = await smtpGrant(MARIO);
    await expect(transportFor(GIULIA, accessToken).verify()).rejects.toMatchObject({ responseCode: 535 });
  });
});
