// The status report as an admin dashboard (Italian or English): one self-contained HTML page — inline
// style, an inline SVG timeline, no script, no external asset — so the strict CSP of
// src/shared/http/securityHeaders.ts holds. Every dynamic value goes through escapeHtml.
import { rotationErrorFix } from '../../domain/monitor/rotationErrorFix.js';
import { describeRunGaps, runGapsHeading } from '../../domain/monitor/runGaps.js';
import type { Locale } from '../../presentation/locale.js';
import { escapeHtml } from '../../presentation/html.js';
import type { CredentialStatus, MailboxHealth, StatusReport } from './statusService.js';

const TIME_ZONE = 'Europe/Rome';
const TIMELINE_TICKS = [0, 7, 30, 60, 90, 180, 365, 730];
const TIMELINE_MIN_DAYS = 90;
const TIMELINE_MAX_DAYS = 730;

interface Labels {
  title: string;
  generated: string;
  posture: Record<StatusReport['credentialPosture'], string>;
  app: string;
  missingPermission(permission: string): string;
  sourceErrors: string;
  alarmChannelNeedsSecret: string;
  timeline: string;
  timelineCaption: string;
  credentials: string;
  credentialColumns: [string, string, string, string, string];
  kinds: Record<CredentialStatus['kind'], string>;
  statuses: Record<CredentialStatus['status'], string>;
  inUse: string;
  mailboxes: string;
  mailboxColumns: [string, string, string, string, string];
  grantOk: string;
  grantReconnect: string;
  reconnect: string;
  noMailboxes: string;
  runs: string;
  runColumns: [string, string, string, string];
  running: string;
  noRuns: string;
  alarms: string;
  rotations: string;
  rotationColumns: [string, string, string, string];
  noRotations: string;
  rotationMode: Record<StatusReport['settings']['rotationMode'], string>;
  days(count: number): string;
}

const it: Labels = {
  title: 'Stato di keyrelay',
  generated: 'Aggiornato il',
  posture: { federated: 'Credenziale: identità gestita federata, nessun segreto da far scadere', secret: 'Credenziale: client secret in Key Vault (ruotato da keyrelay)' },
  app: 'App',
  missingPermission: (permission) =>
    `keyrelay non può leggere le credenziali dell'app da Microsoft Graph (manca il permesso ${permission}): le date vengono da Key Vault.`,
  sourceErrors: 'Fonti non leggibili',
  alarmChannelNeedsSecret:
    "Se Entra ID rifiuta il segreto client nessun avviso arriva: la posta da una casella collegata ha bisogno di quel segreto. Imposta ALERT_WEBHOOK_URL o ALERT_MAIL_AUTH=managed-identity.",
  timeline: 'Prossime scadenze',
  timelineCaption: 'Giorni rimasti per ogni credenziale e casella (scala in giorni da oggi).',
  credentials: 'Credenziali',
  credentialColumns: ['Credenziale', 'Tipo', 'Scadenza', 'Giorni', 'Stato'],
  kinds: {
    'client-secret': 'segreto client',
    certificate: 'certificato',
    'key-vault-secret': 'segreto Key Vault',
    'mailbox-grant': 'accesso casella',
  },
  statuses: { ok: 'valida', expiring: 'in scadenza', expired: 'scaduta', superseded: 'sostituita' },
  inUse: 'in uso',
  mailboxes: 'Caselle collegate',
  mailboxColumns: ['Casella', 'Stato', 'Ultimo rinnovo', 'Inattiva da', 'Scade per inattività tra'],
  grantOk: 'attiva',
  grantReconnect: 'da ricollegare',
  reconnect: 'Ricollega',
  noMailboxes: 'Nessuna casella collegata.',
  runs: 'Ultime esecuzioni del monitor',
  runColumns: ['Inizio', 'Fine', 'Conteggi', 'Errori'],
  running: 'in corso',
  noRuns: 'Il monitor non è ancora stato eseguito.',
  alarms: 'Allarmi sulla credenziale di keyrelay',
  rotations: 'Rinnovi del segreto client',
  rotationColumns: ['Iniziato', 'Passo', 'Nuovo segreto valido fino al', 'Note'],
  noRotations: 'Nessun rinnovo automatico finora.',
  rotationMode: { auto: 'rinnovo automatico attivo', 'alert-only': 'solo avvisi (rinnovo automatico disattivato)' },
  days: (count) => (Math.abs(count) === 1 ? `${count} giorno` : `${count} giorni`),
};

const en: Labels = {
  title: 'keyrelay status',
  generated: 'Updated',
  posture: { federated: 'Credential: federated managed identity, no secret to expire', secret: 'Credential: client secret in Key Vault (rotated by keyrelay)' },
  app: 'App',
  missingPermission: (permission) =>
    `keyrelay cannot read the app's credentials from Microsoft Graph (permission ${permission} is missing): dates come from Key Vault.`,
  sourceErrors: 'Sources not readable',
  alarmChannelNeedsSecret:
    'If Entra ID refuses the client secret no alert gets through: mail from a connected mailbox needs that secret. Set ALERT_WEBHOOK_URL or ALERT_MAIL_AUTH=managed-identity.',
  timeline: 'Upcoming expiries',
  timelineCaption: 'Days left for each credential and mailbox (scale in days from today).',
  credentials: 'Credentials',
  credentialColumns: ['Credential', 'Kind', 'Expires', 'Days', 'State'],
  kinds: {
    'client-secret': 'client secret',
    certificate: 'certificate',
    'key-vault-secret': 'Key Vault secret',
    'mailbox-grant': 'mailbox access',
  },
  statuses: { ok: 'valid', expiring: 'expiring', expired: 'expired', superseded: 'superseded' },
  inUse: 'in use',
  mailboxes: 'Connected mailboxes',
  mailboxColumns: ['Mailbox', 'State', 'Last refresh', 'Idle for', 'Inactivity expiry in'],
  grantOk: 'active',
  grantReconnect: 'reconnect required',
  reconnect: 'Reconnect',
  noMailboxes: 'No mailbox connected.',
  runs: 'Last monitor runs',
  runColumns: ['Started', 'Finished', 'Counts', 'Errors'],
  running: 'running',
  noRuns: 'The monitor has not run yet.',
  alarms: "Alarms on keyrelay's credential",
  rotations: 'Client secret renewals',
  rotationColumns: ['Started', 'Step', 'New secret valid until', 'Notes'],
  noRotations: 'No automatic renewal so far.',
  rotationMode: { auto: 'automatic renewal on', 'alert-only': 'alerts only (automatic renewal off)' },
  days: (count) => (Math.abs(count) === 1 ? `${count} day` : `${count} days`),
};

const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f5f6f8; color: #1b1f24; }
  main { max-width: 64rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem 0; }
  h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem 0; }
  .meta { color: #57606a; margin: 0; }
  .notice { background: #fff4ce; border-left: 4px solid #c19c00; padding: .5rem .75rem; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e5e8; vertical-align: top; }
  th { border-bottom: 2px solid #8c959f; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; }
  .ok { background: #dafbe1; color: #116329; }
  .warn { background: #fff1c2; color: #7d4e00; }
  .bad { background: #ffebe9; color: #a40e26; }
  .muted { background: #eaeef2; color: #57606a; }
  a { color: #0f6cbd; }
  svg text { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 12px; fill: #1b1f24; }
`;

function formatDate(iso: string | undefined, locale: Locale): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale === 'it' ? 'it-IT' : 'en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: TIME_ZONE,
  }).format(new Date(iso));
}

function severity(daysLeft: number, status: CredentialStatus['status']): 'ok' | 'warn' | 'bad' | 'muted' {
  if (status === 'superseded') return 'muted';
  if (status === 'expired' || daysLeft <= 7) return 'bad';
  if (status === 'expiring' || daysLeft <= 60) return 'warn';
  return 'ok';
}

const BAR_COLOURS = { ok: '#2da44e', warn: '#d4a72c', bad: '#cf222e', muted: '#8c959f' } as const;

interface TimelineRow {
  label: string;
  daysLeft: number;
  tone: keyof typeof BAR_COLOURS;
  caption: string;
}

function timelineRows(report: StatusReport, labels: Labels): TimelineRow[] {
  const credentialRows = report.credentials.map((credential) => ({
    label: `${labels.kinds[credential.kind]} · ${credential.label}`,
    daysLeft: credential.daysLeft,
    tone: severity(credential.daysLeft, credential.status),
    caption: labels.days(credential.daysLeft),
  }));
  const mailboxRows = report.mailboxes.map((mailbox) => ({
    label: `${labels.kinds['mailbox-grant']} · ${mailbox.upn}`,
    daysLeft: mailbox.status === 'ok' ? mailbox.daysUntilInactivityExpiry : 0,
    tone: mailbox.status === 'ok' ? severity(mailbox.daysUntilInactivityExpiry, 'ok') : ('bad' as const),
    caption: mailbox.status === 'ok' ? labels.days(mailbox.daysUntilInactivityExpiry) : labels.grantReconnect,
  }));
  return [...credentialRows, ...mailboxRows].sort((a, b) => a.daysLeft - b.daysLeft);
}

/** A bar per credential from today to its expiry: the shortest bars are the problems. */
function renderTimeline(report: StatusReport, labels: Labels): string {
  const rows = timelineRows(report, labels);
  if (rows.length === 0) return '';
  const e = escapeHtml;
  const span = Math.min(TIMELINE_MAX_DAYS, Math.max(TIMELINE_MIN_DAYS, ...rows.map((row) => row.daysLeft)));
  const labelWidth = 300;
  const chartWidth = 560;
  const captionWidth = 110;
  const rowHeight = 24;
  const top = 24;
  const height = top + rows.length * rowHeight + 8;
  const x = (days: number) => labelWidth + (Math.min(Math.max(days, 0), span) / span) * chartWidth;
  const parts: string[] = [
    `<svg role="img" aria-label="${e(labels.timeline)}" viewBox="0 0 ${labelWidth + chartWidth + captionWidth} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg">`,
  ];
  for (const tick of TIMELINE_TICKS.filter((days) => days <= span)) {
    parts.push(
      `<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${height - 4}" stroke="#d0d7de" stroke-dasharray="${tick === 0 ? '0' : '3 3'}"/>`,
      `<text x="${x(tick)}" y="${top - 10}" text-anchor="middle">${tick}</text>`,
    );
  }
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const width = Math.max(2, x(row.daysLeft) - x(0));
    const label = row.label.length > 44 ? `${row.label.slice(0, 43)}…` : row.label;
    parts.push(
      `<text x="0" y="${y + 15}">${e(label)}</text>`,
      `<rect x="${x(0)}" y="${y + 4}" width="${width}" height="14" rx="3" fill="${BAR_COLOURS[row.tone]}"/>`,
      `<text x="${x(row.daysLeft) + 6}" y="${y + 15}">${e(row.daysLeft > span ? `› ${row.caption}` : row.caption)}</text>`,
    );
  });
  parts.push('</svg>');
  return `<figure>${parts.join('')}<figcaption class="meta">${e(labels.timelineCaption)}</figcaption></figure>`;
}

function renderCredentials(report: StatusReport, labels: Labels, locale: Locale): string {
  const e = escapeHtml;
  const rows = report.credentials.map((credential) => {
    const tone = severity(credential.daysLeft, credential.status);
    const inUse = credential.inUse ? ` <span class="badge muted">${e(labels.inUse)}</span>` : '';
    return `<tr><td><strong>${e(credential.label)}</strong>${inUse}</td><td>${e(labels.kinds[credential.kind])}</td><td>${e(formatDate(credential.expiresAt, locale))}</td><td class="num">${credential.daysLeft}</td><td><span class="badge ${tone}">${e(labels.statuses[credential.status])}</span></td></tr>`;
  });
  return `<h2>${e(labels.credentials)}</h2><table><thead><tr>${labels.credentialColumns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderMailbox(mailbox: MailboxHealth, labels: Labels, locale: Locale): string {
  const e = escapeHtml;
  const state =
    mailbox.status === 'ok'
      ? `<span class="badge ok">${e(labels.grantOk)}</span>`
      : `<span class="badge bad">${e(labels.grantReconnect)}</span>${mailbox.lastErrorCode ? ` <code>${e(mailbox.lastErrorCode)}</code>` : ''}${mailbox.reconnectUrl ? ` <a href="${e(mailbox.reconnectUrl)}">${e(labels.reconnect)}</a>` : ''}`;
  return `<tr><td><strong>${e(mailbox.upn)}</strong></td><td>${state}</td><td>${e(formatDate(mailbox.lastRefreshAt, locale))}</td><td class="num">${e(labels.days(mailbox.idleDays))}</td><td class="num">${e(labels.days(mailbox.daysUntilInactivityExpiry))}</td></tr>`;
}

function renderMailboxes(report: StatusReport, labels: Labels, locale: Locale): string {
  const e = escapeHtml;
  if (report.mailboxes.length === 0) return `<h2>${e(labels.mailboxes)}</h2><p class="meta">${e(labels.noMailboxes)}</p>`;
  return `<h2>${e(labels.mailboxes)}</h2><table><thead><tr>${labels.mailboxColumns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${report.mailboxes.map((m) => renderMailbox(m, labels, locale)).join('')}</tbody></table>`;
}

function renderRuns(title: string, runs: StatusReport['runs'], labels: Labels, locale: Locale, emptyText?: string): string {
  const e = escapeHtml;
  if (runs.length === 0) return emptyText ? `<h2>${e(title)}</h2><p class="meta">${e(emptyText)}</p>` : '';
  const rows = runs.map((run) => {
    const counts = Object.entries(run.counts)
      .map(([name, value]) => `${name}: ${value}`)
      .join(', ');
    const errors = run.errors.length > 0 ? run.errors.map((code) => `<code>${e(code)}</code>`).join(' ') : '—';
    return `<tr><td>${e(formatDate(run.startedAt, locale))}</td><td>${run.finishedAt ? e(formatDate(run.finishedAt, locale)) : e(labels.running)}</td><td>${e(counts || '—')}</td><td>${errors}</td></tr>`;
  });
  return `<h2>${e(title)}</h2><table><thead><tr>${labels.runColumns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderRotations(report: StatusReport, labels: Labels, locale: Locale): string {
  const e = escapeHtml;
  const heading = `<h2>${e(labels.rotations)}</h2><p class="meta">${e(labels.rotationMode[report.settings.rotationMode])}</p>`;
  if (report.rotations.length === 0) return `${heading}<p class="meta">${e(labels.noRotations)}</p>`;
  const rows = report.rotations.map((rotation) => {
    const notes = [
      ...(rotation.blockedReason ? [`<code>${e(rotation.blockedReason)}</code>`] : []),
      // The latest rotation's failing step with what to do about it; older rotations keep only their code.
      ...(rotation.lastError
        ? [`<code>${e(rotation.lastError)}</code>${rotation === report.rotations[0] ? ` ${e(rotationErrorFix(rotation.lastError, locale))}` : ''}`]
        : []),
    ];
    return `<tr><td>${e(formatDate(rotation.startedAt, locale))}</td><td>${e(rotation.step)}</td><td>${e(formatDate(rotation.newEndDateTime, locale))}</td><td>${notes.join(' ') || '—'}</td></tr>`;
  });
  return `${heading}<table><thead><tr>${labels.rotationColumns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** What the latest monitor run could not check, in words. */
function renderRunGaps(report: StatusReport, locale: Locale): string {
  const gaps = describeRunGaps(report.runs[0]?.errors ?? [], locale);
  if (gaps.length === 0) return '';
  return `<div class="notice"><strong>${escapeHtml(runGapsHeading(locale))}</strong><ul>${gaps.map((gap) => `<li>${escapeHtml(gap)}</li>`).join('')}</ul></div>`;
}

export function renderStatusPage(report: StatusReport, locale: Locale): string {
  const labels = locale === 'it' ? it : en;
  const e = escapeHtml;
  const notices = [
    report.missingPermission ? `<p class="notice">${e(labels.missingPermission(report.missingPermission))}</p>` : '',
    report.sourceErrors.length > 0
      ? `<p class="notice">${e(labels.sourceErrors)}: ${report.sourceErrors.map((code) => `<code>${e(code)}</code>`).join(' ')}</p>`
      : '',
    report.warnings.includes('alarm_channel_needs_secret') ? `<p class="notice">${e(labels.alarmChannelNeedsSecret)}</p>` : '',
    renderRunGaps(report, locale),
  ].join('');
  const body = [
    `<h1>${e(labels.title)}</h1>`,
    `<p class="meta">${e(labels.app)} «${e(report.app.displayName)}» · <code>${e(report.app.appId)}</code> · ${e(labels.generated)} ${e(formatDate(report.generatedAt, locale))}</p>`,
    `<p class="meta"><strong>${e(labels.posture[report.credentialPosture])}</strong></p>`,
    notices,
    `<h2>${e(labels.timeline)}</h2>`,
    renderTimeline(report, labels),
    renderCredentials(report, labels, locale),
    renderMailboxes(report, labels, locale),
    renderRuns(labels.runs, report.runs, labels, locale, labels.noRuns),
    renderRuns(labels.alarms, report.credentialAlarms, labels, locale),
    renderRotations(report, labels, locale),
  ].join('\n');
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${e(labels.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function acceptWeight(accept: string, type: string): number {
  let weight = 0;
  for (const entry of accept.split(',')) {
    const [range = '', ...parameters] = entry.trim().toLowerCase().split(';');
    if (range.trim() !== type) continue;
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    if (Number.isFinite(value)) weight = Math.max(weight, value);
  }
  return weight;
}

/** Browsers ask for text/html first; API clients (and a missing Accept) get JSON (RFC 9110 §12.5.1). */
export function prefersHtml(accept: string | null | undefined): boolean {
  if (!accept) return false;
  const html = acceptWeight(accept, 'text/html');
  return html > 0 && html > acceptWeight(accept, 'application/json');
}
