// HTML of the simulator: one dashboard page and one page per sent alert. No script: every button is a
// plain form POST answered with a redirect back (the CSP in server.ts forbids scripts anyway). Every
// dynamic value goes through escapeHtml; a mail's own HTML is shown only in a sandboxed iframe.
import { describeRotationStep, describeRun } from '#src/shared/domain/monitor/runSummary.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { escapeHtml } from '#src/shared/presentation/html.js';
import { formatShortDateTime, type DisplayZone } from '#src/shared/presentation/time.js';
import type { OutboxMessage } from '../cloud/context.js';
import type { ClientSecretRow } from './cloudControls.js';
import type { RedactedSmtpToken, StatusView } from './keyrelayApi.js';
import { SIMULATOR_MESSAGES, type SimulatorMessages } from './messages.js';

export type Notice = { tone: 'ok' | 'error' | 'info'; text: string };

export interface DashboardModel {
  locale: Locale;
  /** ALERT_TIME_ZONE of the keyrelay it plays against: every time is shown in it, zone named. */
  timeZone: string;
  /** Anti-CSRF token every form carries (any web page could otherwise POST to a loopback port). */
  formToken: string;
  notices: Notice[];
  alertSender: string;
  entraOrigin: string;
  connectAsSenderUrl: string;
  connectOtherUrl: string;
  statusPageUrl: string;
  status: { ok: true; view: StatusView } | { ok: false; detail: string };
  lastToken?: RedactedSmtpToken;
  secrets: { ok: true; rows: ClientSecretRow[] } | { ok: false; detail: string };
  outbox: OutboxMessage[];
  expireDaysDefault: number;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f3f4f7;color:#1b1f24}
header{background:#5b2a86;color:#fff;padding:1rem 2rem;display:flex;justify-content:space-between;align-items:center}
header h1{margin:0;font-size:1.3rem}header a{color:#fff}
main{max-width:68rem;margin:1.5rem auto;padding:0 1rem;display:grid;gap:1rem}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:1rem 1.5rem}
h2{font-size:1.1rem;margin:.2rem 0 .6rem}p.explain{color:#555;margin:.2rem 0 .8rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{font-size:.85rem;color:#555}
a.button,button{display:inline-block;padding:.45rem .9rem;background:#0f6cbd;color:#fff;border:0;border-radius:4px;text-decoration:none;font:inherit;cursor:pointer}
a.secondary,form.secondary button{background:#e8eef6;color:#0f6cbd}
form.inline{display:inline}input[type=number]{width:5rem;padding:.35rem;font:inherit}
.notice{padding:.6rem 1rem;border-radius:6px}.ok{background:#e7f6ec;color:#14532d}.error{background:#fdecec;color:#7f1d1d}.info{background:#eef4fb;color:#1e3a5f}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;background:#e5e7eb;white-space:nowrap}
.badge.ok{background:#dcfce7;color:#14532d}.badge.warn{background:#fef3c7;color:#78350f}.badge.bad{background:#fee2e2;color:#7f1d1d}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}code{background:#f0f1f3;padding:0 .25rem;border-radius:3px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}dt{color:#555}
.actions{margin:.8rem 0}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.small{font-size:.85rem;color:#555}
td{overflow-wrap:break-word}td.addr{overflow-wrap:anywhere}td.subject{min-width:12rem}main>*,.grid>*{min-width:0}.when{white-space:nowrap}.scroll{overflow-x:auto}
iframe{display:block;width:100%;max-width:48rem;border:1px solid #d1d5db;border-radius:6px;background:#fff;resize:vertical}
@media (max-width:48rem){.grid{grid-template-columns:1fr}header{padding:1rem}section{padding:1rem}}
`;

function shell(locale: Locale, title: string, headerRight: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><div>${headerRight}</div></header>
<main>${body}</main></body></html>
`;
}

const hidden = (name: string, value: string): string =>
  `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

function postForm(model: DashboardModel, action: string, inner: string, label: string, extraClass = ''): string {
  return `<form class="inline ${extraClass}" method="post" action="${action}">${hidden('token', model.formToken)}${hidden('lang', model.locale)}${inner}<button type="submit">${escapeHtml(label)}</button></form>`;
}

function formatDate(iso: string | undefined, zone: DisplayZone): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatShortDateTime(date, zone);
}

const zoneOf = (model: { locale: Locale; timeZone: string }): DisplayZone => ({
  locale: model.locale,
  timeZone: model.timeZone,
});

const MAIL_LINE_PX = 22;
const MAIL_CHARS_PER_LINE = 90;
const MAIL_BLOCK_GAP_PX = 16;
const MAIL_MIN_PX = 160;
const MAIL_MAX_PX = 2400;

/**
 * The frame's height for a mail, from its text: a page without script cannot measure the sandboxed frame,
 * so each block (paragraph, list item, heading, table row) is counted in lines of the frame's 48rem column. A
 * generous estimate; a mail longer than it still scrolls inside the frame, and the frame can be resized.
 */
export function mailFrameHeight(html: string): number {
  const body = html.replace(/<(style|head|title)[\s\S]*?<\/\1>/gi, '');
  const blocks = body.split(/<(?:p|li|h[1-6]|tr|br|div)\b[^>]*>/i).map((block) =>
    block
      .replace(/<[^>]*>/g, '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  const lines = blocks
    .filter((block) => block.length > 0)
    .map((block) => Math.ceil(block.length / MAIL_CHARS_PER_LINE));
  const estimate = lines.reduce(
    (total, count) => total + count * MAIL_LINE_PX + MAIL_BLOCK_GAP_PX,
    2 * MAIL_BLOCK_GAP_PX + 16,
  );
  return Math.min(MAIL_MAX_PX, Math.max(MAIL_MIN_PX, Math.round(estimate)));
}

function daysBadge(days: number): string {
  const tone = days <= 14 ? 'bad' : days <= 60 ? 'warn' : 'ok';
  return `<span class="badge ${tone}">${days}</span>`;
}

function recipients(message: OutboxMessage): string {
  return (message.message.toRecipients ?? []).map((r) => r.emailAddress.address).join(', ');
}

function noticesHtml(notices: Notice[]): string {
  return notices.map((n) => `<div class="notice ${n.tone}" role="status">${escapeHtml(n.text)}</div>`).join('');
}

function connectSection(model: DashboardModel, t: SimulatorMessages): string {
  return `<section id="connect"><h2>${escapeHtml(t.connectHeading)}</h2>
<p class="explain">${escapeHtml(t.connectExplain(model.alertSender))}</p>
<p><a class="button" id="connect-sender" href="${escapeHtml(model.connectAsSenderUrl)}">${escapeHtml(t.connectAs(model.alertSender))}</a>
<a class="button secondary" id="connect-other" href="${escapeHtml(model.connectOtherUrl)}">${escapeHtml(t.connectOther)}</a></p>
<p class="small" id="sign-in-origin" data-origin="${escapeHtml(model.entraOrigin)}">${escapeHtml(t.browserWarning(model.entraOrigin))}</p></section>`;
}

function mailboxesSection(model: DashboardModel, t: SimulatorMessages): string {
  let content: string;
  if (!model.status.ok) content = `<p class="notice error">${escapeHtml(t.statusUnavailable(model.status.detail))}</p>`;
  else if (model.status.view.mailboxes.length === 0) content = `<p>${escapeHtml(t.noMailboxes)}</p>`;
  else {
    const c = t.mailboxColumns;
    const rows = model.status.view.mailboxes
      .map((m) => {
        const tone = m.status === 'ok' ? 'ok' : 'bad';
        const inactivity =
          m.daysUntilInactivityExpiry === undefined ? '—' : t.grantDaysLeft(m.daysUntilInactivityExpiry);
        return `<tr data-mailbox="${escapeHtml(m.upn)}"><td class="mono">${escapeHtml(m.upn)}</td><td><span class="badge ${tone}" data-status="${escapeHtml(m.status)}">${escapeHtml(t.mailboxStatus[m.status === 'ok' ? 'ok' : 'reconnect_required'])}</span></td>
<td class="when">${escapeHtml(formatDate(m.lastRefreshAt, zoneOf(model)))}</td><td>${escapeHtml(inactivity)}</td>
<td>${postForm(model, '/actions/token', hidden('mailbox', m.upn), t.getSmtpToken)} ${postForm(model, '/actions/testmail', hidden('mailbox', m.upn), t.sendTestMail, 'test-mail')}</td></tr>`;
      })
      .join('');
    content = `<div class="scroll"><table><thead><tr><th>${escapeHtml(c.mailbox)}</th><th>${escapeHtml(c.status)}</th><th>${escapeHtml(c.lastRefresh)}</th><th>${escapeHtml(c.inactivity)}</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }
  return `<section id="mailboxes"><h2>${escapeHtml(t.mailboxesHeading)}</h2>${content}${tokenPanel(model, t)}</section>`;
}

function tokenPanel(model: DashboardModel, t: SimulatorMessages): string {
  const token = model.lastToken;
  if (!token) return '';
  const f = t.tokenFields;
  const xoauth2 = token.xoauth2Parts
    .map((part) => `<code>${escapeHtml(part)}</code>`)
    .join(' <span class="small">\\x01</span> ');
  const smtp = token.smtp ? `${token.smtp.host}:${token.smtp.port} (${token.smtp.security})` : '—';
  return `<div id="smtp-token"><h2>${escapeHtml(t.tokenHeading)}</h2><p class="explain">${escapeHtml(t.tokenExplain)}</p><dl>
<dt>${escapeHtml(f.mailbox)}</dt><dd class="mono">${escapeHtml(token.mailbox)}</dd>
<dt>${escapeHtml(f.expiresOn)}</dt><dd>${escapeHtml(formatDate(token.expiresOn, zoneOf(model)))}</dd>
<dt>${escapeHtml(f.accessToken)}</dt><dd><code>${escapeHtml(token.accessTokenPreview)}</code></dd>
<dt>${escapeHtml(f.xoauth2)}</dt><dd id="xoauth2">${xoauth2}</dd>
<dt>${escapeHtml(f.smtp)}</dt><dd class="mono">${escapeHtml(smtp)}</dd>
<dt>${escapeHtml(f.matches)}</dt><dd><span class="badge ${token.xoauth2Matches ? 'ok' : 'bad'}">${escapeHtml(token.xoauth2Matches ? t.xoauth2Matches : t.xoauth2Mismatch)}</span></dd>
</dl></div>`;
}

function secretSection(model: DashboardModel, t: SimulatorMessages): string {
  let table: string;
  if (!model.secrets.ok) table = `<p class="notice error">${escapeHtml(model.secrets.detail)}</p>`;
  else {
    const c = t.secretColumns;
    const rows = model.secrets.rows
      .map(
        (
          s,
        ) => `<tr data-key-id="${escapeHtml(s.keyId)}"${s.inUse ? ' data-in-use' : ''}><td class="mono">${escapeHtml(s.keyId.slice(0, 8))}…</td><td>${escapeHtml(s.displayName ?? '')}</td>
<td>${escapeHtml(formatDate(s.endDateTime, zoneOf(model)))}</td><td class="days-left">${daysBadge(s.daysLeft)}</td><td>${s.inUse ? `<span class="badge ok">${escapeHtml(t.inUse)}</span>` : ''}</td></tr>`,
      )
      .join('');
    table =
      model.secrets.rows.length === 0
        ? `<p class="notice ok" id="no-client-secret">${escapeHtml(t.noClientSecret)}</p>`
        : `<div class="scroll"><table><thead><tr><th>${escapeHtml(c.keyId)}</th><th>${escapeHtml(c.name)}</th><th>${escapeHtml(c.expires)}</th><th>${escapeHtml(c.daysLeft)}</th><th>${escapeHtml(c.inUse)}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }
  const posture = model.status.ok ? model.status.view.credentialPosture : undefined;
  const postureHtml =
    posture === 'secret' || posture === 'federated'
      ? `<p id="posture" data-posture="${posture}">${escapeHtml(t.postureLabel)}: <span class="badge ${posture === 'federated' ? 'ok' : 'warn'}">${escapeHtml(t.posture[posture])}</span></p>`
      : '';
  const hasSecretInUse = model.secrets.ok && model.secrets.rows.some((row) => row.inUse);
  const input = `<label>${escapeHtml(t.expireLabel)} <input type="number" name="days" min="0" max="730" step="1" required value="${model.expireDaysDefault}"></label> `;
  const expire = hasSecretInUse
    ? `<div class="actions">${postForm(model, '/actions/expire', input, t.expireButton)}</div><div class="actions" id="refuse-secrets">${postForm(model, '/actions/refusesecrets', '', t.refuseSecretsButton, 'secondary')}</div>`
    : '';
  const secretless =
    posture === 'secret'
      ? `<div id="go-secretless"><h2>${escapeHtml(t.secretlessHeading)}</h2><p class="explain"><code>npm run setup -- --federated</code>: ${escapeHtml(t.secretlessExplain)}</p>
<div class="actions">${postForm(model, '/actions/secretless', '', t.secretlessButton)}</div></div>`
      : '';
  return `<section id="client-secret"><h2>${escapeHtml(t.secretHeading)}</h2>${postureHtml}<p class="explain">${escapeHtml(t.secretExplain)}</p>${table}
${expire}${secretless}</section>`;
}

function monitorSection(model: DashboardModel, t: SimulatorMessages): string {
  const view = model.status.ok ? model.status.view : undefined;
  const runs = view?.runs.length
    ? `<div class="scroll"><table><tbody>${view.runs
        .map((r) => {
          const summary = r.finishedAt ? describeRun(r.counts, model.locale) : t.running;
          return `<tr><td class="when">${escapeHtml(formatDate(r.finishedAt ?? r.startedAt, zoneOf(model)))}</td><td class="run-summary">${escapeHtml(summary)}</td><td class="small">${escapeHtml(r.errors.join(', '))}</td></tr>`;
        })
        .join('')}</tbody></table></div>`
    : `<p class="small">${escapeHtml(t.runsEmpty)}</p>`;
  const rotations = view?.rotations.length
    ? `<div class="scroll"><table><tbody>${view.rotations
        .map(
          (r) =>
            `<tr><td class="when">${escapeHtml(formatDate(r.startedAt, zoneOf(model)))}</td><td><span class="badge" data-step="${escapeHtml(r.step)}">${escapeHtml(describeRotationStep(r.step, model.locale))}</span></td><td class="small">${escapeHtml(r.blockedReason ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table></div>`
    : `<p class="small">${escapeHtml(t.rotationsEmpty)}</p>`;
  return `<section id="monitor"><h2>${escapeHtml(t.monitorHeading)}</h2><p class="explain">${escapeHtml(t.monitorExplain)}</p>
<div class="actions">${postForm(model, '/actions/monitor', '', t.monitorButton)}</div>${runs}
<h2>${escapeHtml(t.rotationsHeading)}</h2><div id="rotations">${rotations}</div></section>`;
}

function outboxSection(model: DashboardModel, t: SimulatorMessages): string {
  const c = t.outboxColumns;
  const content =
    model.outbox.length === 0
      ? `<p>${escapeHtml(t.outboxEmpty)}</p>`
      : `<div class="scroll"><table><thead><tr><th>${escapeHtml(c.received)}</th><th>${escapeHtml(c.from)}</th><th>${escapeHtml(c.to)}</th><th>${escapeHtml(c.subject)}</th><th></th></tr></thead><tbody>${model.outbox
          .map(
            (
              m,
            ) => `<tr class="mail"><td class="when">${escapeHtml(formatDate(m.receivedAt, zoneOf(model)))}</td><td class="mono addr">${escapeHtml(m.from)}</td><td class="mono addr">${escapeHtml(recipients(m))}</td>
<td class="subject">${escapeHtml(m.message.subject ?? '')}</td><td class="when"><a href="/mail/${encodeURIComponent(m.id)}?lang=${model.locale}">${escapeHtml(t.open)}</a></td></tr>`,
          )
          .join('')}</tbody></table></div>`;
  return `<section id="outbox"><h2>${escapeHtml(t.outboxHeading)}</h2><p class="explain">${escapeHtml(t.outboxExplain)}</p>${content}</section>`;
}

export function renderDashboard(model: DashboardModel): string {
  const t = SIMULATOR_MESSAGES[model.locale];
  const languageLink = `<a href="/?lang=${t.otherLanguage.locale}">${escapeHtml(t.otherLanguage.label)}</a>`;
  const statusLink = `<section id="status-link"><h2>${escapeHtml(t.statusLinkHeading)}</h2><p class="explain">${escapeHtml(t.statusLinkExplain)}</p>
<p><a class="button secondary" id="status-page" href="${escapeHtml(model.statusPageUrl)}">${escapeHtml(t.statusLink)}</a></p></section>`;
  const body = `${noticesHtml(model.notices)}<section><p class="explain">${escapeHtml(t.intro)}</p></section>
${connectSection(model, t)}${mailboxesSection(model, t)}
<div class="grid">${secretSection(model, t)}${monitorSection(model, t)}</div>
${outboxSection(model, t)}${statusLink}`;
  return shell(model.locale, t.title, languageLink, body);
}

export function renderMail(locale: Locale, timeZone: string, message: OutboxMessage): string {
  const t = SIMULATOR_MESSAGES[locale];
  const f = t.mailFields;
  const content = message.message.body?.content ?? '';
  const isHtml = (message.message.body?.contentType ?? 'text').toLowerCase() === 'html';
  // No allow-scripts, no allow-same-origin: the mail's HTML stays inert.
  const body = isHtml
    ? `<iframe sandbox="" style="height:${mailFrameHeight(content)}px" srcdoc="${escapeHtml(content)}" title="${escapeHtml(message.message.subject ?? '')}"></iframe>`
    : `<pre>${escapeHtml(content)}</pre>`;
  const attachments = (message.message.attachments ?? [])
    .map((a) => `${a.name ?? 'attachment'} (${a.contentType ?? 'application/octet-stream'})`)
    .join(', ');
  const header = `<dl><dt>${escapeHtml(f.from)}</dt><dd class="mono">${escapeHtml(message.from)}</dd><dt>${escapeHtml(f.to)}</dt><dd class="mono">${escapeHtml(recipients(message))}</dd>
<dt>${escapeHtml(f.subject)}</dt><dd id="mail-subject"><strong>${escapeHtml(message.message.subject ?? '')}</strong></dd><dt>${escapeHtml(f.received)}</dt><dd>${escapeHtml(formatDate(message.receivedAt, { locale, timeZone }))}</dd>
${attachments ? `<dt>${escapeHtml(f.attachments)}</dt><dd>${escapeHtml(attachments)}</dd>` : ''}</dl>`;
  return shell(
    locale,
    t.title,
    `<a href="/?lang=${locale}">${escapeHtml(t.mailBack)}</a>`,
    `<section>${header}</section><section>${body}</section>`,
  );
}

export function renderProblem(locale: Locale, text: string): string {
  const t = SIMULATOR_MESSAGES[locale];
  return shell(
    locale,
    t.title,
    `<a href="/?lang=${locale}">${escapeHtml(t.mailBack)}</a>`,
    `<div class="notice error" role="alert">${escapeHtml(text)}</div>`,
  );
}
