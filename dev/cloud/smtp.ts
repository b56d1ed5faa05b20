// The smtp.office365.com stand-in (DESIGN §7), on the smtp-server package: STARTTLS with the local CA's
// certificate, AUTH XOAUTH2 only after TLS, the bearer token checked against the Entra emulator's keys,
// the Outlook audience and the SMTP.Send scope; accepted mail lands in the shared outbox.
// Exchange Online's answers it reproduces (https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission):
// - SMTP AUTH disabled for the mailbox or the tenant: 535 5.7.139;
// - a shared mailbox (or any identity Exchange will not let sign in over SMTP) as the XOAUTH2 user,
//   and a token it does not accept: 535 5.7.3.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import type { LocalCloudContext, OutboxMessage, TokenVerifier } from './context.js';
import type { ServerCertificate } from './tls.js';

const OUTLOOK_AUDIENCE = 'https://outlook.office.com';
/** Exchange Online's message size limit for SMTP submission (35 MB). */
const MAX_MESSAGE_BYTES = 35 * 1024 * 1024;

export const SMTP_AUTH_DISABLED_TEXT =
  '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.';
export const SMTP_AUTH_REJECTED_TEXT = '5.7.3 Authentication unsuccessful';

export interface SmtpEmulator {
  /** `127.0.0.1:<port>`, the form of SMTP_ENDPOINT. */
  endpoint: string;
  close(): Promise<void>;
}

class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

async function authenticate(
  ctx: LocalCloudContext,
  verifier: TokenVerifier,
  auth: SMTPServerAuthentication,
): Promise<string> {
  if (auth.method !== 'XOAUTH2' || !auth.accessToken)
    throw new SmtpReply(504, '5.7.4 Unrecognized authentication type');
  let claims;
  try {
    claims = await verifier.verify(auth.accessToken, OUTLOOK_AUDIENCE);
  } catch {
    throw new SmtpReply(535, SMTP_AUTH_REJECTED_TEXT);
  }
  const scopes = (claims.scp ?? '').split(' ');
  const user = ctx.tenants
    .find((tenant) => tenant.id === claims.tid)
    ?.users.find((candidate) => candidate.oid === claims.oid);
  if (!scopes.includes('SMTP.Send') || !user || user.upn.toLowerCase() !== (auth.username ?? '').toLowerCase()) {
    throw new SmtpReply(535, SMTP_AUTH_REJECTED_TEXT);
  }
  if (user.sharedMailbox) throw new SmtpReply(535, SMTP_AUTH_REJECTED_TEXT);
  if (user.smtpAuthDisabled) throw new SmtpReply(535, SMTP_AUTH_DISABLED_TEXT);
  return user.upn;
}

/** Just enough of RFC 5322 for the outbox: the headers it shows, and the body as text. */
function outboxMessage(raw: string, from: string, at: Date): OutboxMessage {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const to = (headers.get('to') ?? '')
    .split(',')
    .map((entry) => /<([^>]+)>/.exec(entry)?.[1] ?? entry.trim())
    .filter((address) => address !== '');
  return {
    id: randomUUID(),
    receivedAt: at.toISOString(),
    from,
    message: {
      ...(headers.get('subject') !== undefined ? { subject: headers.get('subject') as string } : {}),
      body: {
        contentType: (headers.get('content-type') ?? 'text/plain').startsWith('text/html') ? 'html' : 'text',
        content: body,
      },
      toRecipients: to.map((address) => ({ emailAddress: { address } })),
    },
  };
}

export function startSmtpEmulator(
  ctx: LocalCloudContext,
  verifier: TokenVerifier,
  certificate: ServerCertificate,
): Promise<SmtpEmulator> {
  const server = new SMTPServer({
    name: 'smtp.office365.com',
    banner: 'Microsoft ESMTP MAIL Service ready (local emulator)',
    key: certificate.key,
    cert: certificate.cert,
    authMethods: ['XOAUTH2'],
    // Exchange offers AUTH only after STARTTLS.
    allowInsecureAuth: false,
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onAuth(auth, _session, callback) {
      authenticate(ctx, verifier, auth).then(
        (user) => callback(null, { user }),
        (error: unknown) =>
          callback(error instanceof Error ? error : new SmtpReply(451, '4.3.2 Temporary server error')),
      );
    },
    onMailFrom(address, session: SMTPServerSession, callback) {
      // Exchange: the envelope sender must be the authenticated mailbox (else 5.7.60 SendAsDenied).
      if (String(session.user ?? '').toLowerCase() !== address.address.toLowerCase()) {
        return callback(new SmtpReply(550, `5.7.60 SMTP; Client does not have permissions to send as this sender`));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        ctx.outbox.push(outboxMessage(Buffer.concat(chunks).toString('utf8'), String(session.user), ctx.clock.now()));
        callback();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.server.address() as AddressInfo;
      resolve({ endpoint: `127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
