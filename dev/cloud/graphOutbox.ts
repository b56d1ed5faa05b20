// Renders the Graph emulator's outbox: an HTML index, each message as the admin would see it, and
// each message as an RFC 5322 .eml with MIME parts. Message content is untrusted: it is escaped, and
// an HTML body is shown only inside a sandboxed iframe (srcdoc), never inlined.
import type { OutboxMessage } from './context.js';

const CRLF = '\r\n';
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const OUTBOX_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function recipients(message: OutboxMessage): string {
  return (message.message.toRecipients ?? []).map((r) => r.emailAddress.address).join(', ');
}

function pageShell(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
iframe{width:100%;min-height:30rem;border:1px solid #ccc}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}</style></head>
<body>${body}</body></html>`;
}

export function renderOutboxIndex(outbox: readonly OutboxMessage[]): string {
  const rows = outbox
    .map((m) => {
      const id = encodeURIComponent(m.id);
      return `<tr><td>${escapeHtml(m.receivedAt)}</td><td>${escapeHtml(m.from)}</td><td>${escapeHtml(recipients(m))}</td>
<td>${escapeHtml(m.message.subject ?? '')}</td><td><a href="/outbox/${id}.html">view</a> · <a href="/outbox/${id}.eml">.eml</a></td></tr>`;
    })
    .join('\n');
  const table =
    outbox.length === 0
      ? '<p>No messages sent yet.</p>'
      : `<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
  return pageShell('Outbox', `<h1>Outbox (${outbox.length})</h1>${table}`);
}

export function renderOutboxMessage(m: OutboxMessage): string {
  const content = m.message.body?.content ?? '';
  const isHtml = (m.message.body?.contentType ?? 'text').toLowerCase() === 'html';
  // The sandbox (no allow-scripts, no allow-same-origin) keeps the mail's HTML inert.
  const body = isHtml
    ? `<iframe sandbox="" srcdoc="${escapeHtml(content)}" title="message body"></iframe>`
    : `<pre>${escapeHtml(content)}</pre>`;
  const attachments = (m.message.attachments ?? [])
    .map(
      (a) =>
        `<li>${escapeHtml(a.name ?? 'attachment')} (${escapeHtml(a.contentType ?? 'application/octet-stream')})</li>`,
    )
    .join('');
  const header = `<dl><dt>From</dt><dd>${escapeHtml(m.from)}</dd><dt>To</dt><dd>${escapeHtml(recipients(m))}</dd>
<dt>Subject</dt><dd>${escapeHtml(m.message.subject ?? '')}</dd><dt>Received</dt><dd>${escapeHtml(m.receivedAt)}</dd></dl>`;
  return pageShell(
    m.message.subject ?? 'Message',
    `<p><a href="/outbox">← outbox</a></p>${header}${attachments ? `<ul>${attachments}</ul>` : ''}${body}`,
  );
}

// RFC 2047 encoded-word for non-ASCII header text.
function headerText(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

function quotedParameter(value: string): string {
  return `"${headerText(value).replace(/["\\]/g, '')}"`;
}

/** RFC 5322 message with a multipart/mixed body: the text or HTML body, then each attachment. */
export function renderEml(m: OutboxMessage): string {
  const boundary = `=_keyrelay_${m.id.replace(/[^A-Za-z0-9]/g, '')}`;
  const isHtml = (m.message.body?.contentType ?? 'text').toLowerCase() === 'html';
  const headers = [
    `From: ${headerText(m.from)}`,
    `To: ${headerText(recipients(m))}`,
    `Subject: ${headerText(m.message.subject ?? '')}`,
    `Date: ${new Date(m.receivedAt).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${m.id}@outbox.keyrelay.local>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  const parts = [
    [
      `Content-Type: ${isHtml ? 'text/html' : 'text/plain'}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(Buffer.from(m.message.body?.content ?? '', 'utf8')),
    ].join(CRLF),
    ...(m.message.attachments ?? []).map((a) => {
      const name = quotedParameter(a.name ?? 'attachment');
      return [
        `Content-Type: ${a.contentType ?? 'application/octet-stream'}; name=${name}`,
        `Content-Disposition: attachment; filename=${name}`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(Buffer.from(a.contentBytes ?? '', 'base64')),
      ].join(CRLF);
    }),
  ];
  return [...headers, '', ...parts.map((p) => `--${boundary}${CRLF}${p}`), `--${boundary}--`, ''].join(CRLF);
}
