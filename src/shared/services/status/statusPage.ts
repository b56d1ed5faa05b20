// The status report as an admin dashboard (Italian or English): one self-contained HTML page — inline
// style, an inline SVG timeline, no script, no external asset — so the strict CSP of
// src/shared/http/securityHeaders.ts holds. Every dynamic value goes through escapeHtml.
import { rotationErrorFix } from '#src/shared/domain/monitor/rotationErrorFix.js';
import { describeRunGaps, runGapsHeading } from '#src/shared/domain/monitor/runGaps.js';
import { describeRotationStep, describeRun } from '#src/shared/domain/monitor/runSummary.js';
import { isLocale, LOCALES, pickLocale, type Locale } from '#src/shared/presentation/locale.js';
import { escapeHtml, escapeHtmlWithCode } from '#src/shared/presentation/html.js';
import { renderPage } from '#src/shared/presentation/page.js';
import { formatDateTime, formatShortDateTime, type DisplayZone } from '#src/shared/presentation/time.js';
import type { CredentialStatus, MailboxHealth, StatusReport } from './statusService.js';

const TIMELINE_TICKS = [0, 7, 30, 60, 90, 180, 365, 730];
const TIMELINE_MIN_DAYS = 90;
const TIMELINE_MAX_DAYS = 730;
/** Tick labels closer than this share of the scale would overlap on a 390 px screen ("0" and "7"). */
const TIMELINE_TICK_MIN_GAP = 0.12;
const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = { it: 'Italiano', en: 'English' };

export interface StatusLabels {
  title: string;
  language: string;
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

const it: StatusLabels = {
  title: 'Stato di keyrelay',
  language: 'Lingua',
  generated: 'Aggiornato il',
  posture: {
    federated: 'Credenziale: identità gestita federata, nessun segreto da far scadere',
    secret: 'Credenziale: segreto client in Key Vault (rinnovato da keyrelay)',
  },
  app: 'App',
  missingPermission: (permission) =>
    `keyrelay non può leggere le credenziali dell'app da Microsoft Graph (manca il permesso ${permission}): le date vengono da Key Vault.`,
  sourceErrors: 'Fonti non leggibili',
  alarmChannelNeedsSecret:
    'Se Entra ID rifiuta il segreto client nessun avviso arriva: la posta da una casella collegata ha bisogno di quel segreto. Imposta ALERT_WEBHOOK_URL o ALERT_MAIL_AUTH=managed-identity.',
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
  runColumns: ['Inizio', 'Fine', 'Esito', 'Errori'],
  running: 'in corso',
  noRuns: 'Il monitor non è ancora stato eseguito.',
  alarms: 'Allarmi sulla credenziale di keyrelay',
  rotations: 'Rinnovi del segreto client',
  rotationColumns: ['Iniziato', 'Passo', 'Nuovo segreto valido fino al', 'Note'],
  noRotations: 'Nessun rinnovo automatico finora.',
  rotationMode: { auto: 'rinnovo automatico attivo', 'alert-only': 'solo avvisi (rinnovo automatico disattivato)' },
  days: (count) => (Math.abs(count) === 1 ? `${count} giorno` : `${count} giorni`),
};

const en: StatusLabels = {
  title: 'keyrelay status',
  language: 'Language',
  generated: 'Updated',
  posture: {
    federated: 'Credential: federated managed identity, no secret to expire',
    secret: 'Credential: client secret in Key Vault (rotated by keyrelay)',
  },
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
  runColumns: ['Started', 'Finished', 'Outcome', 'Errors'],
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
  header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: .5rem 1rem; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem 0; }
  h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem 0; }
  nav.language > * + * { margin-left: .5rem; }
  .meta { color: #57606a; margin: 0; overflow-wrap: anywhere; }
  .notice { background: #fff4ce; border-left: 4px solid #c19c00; padding: .5rem .75rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e5e8; vertical-align: top; }
  th { border-bottom: 2px solid #8c959f; }
  td { overflow-wrap: break-word; }
  .when, .num { white-space: nowrap; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; white-space: nowrap; }
  .ok { background: #dafbe1; color: #116329; }
  .warn { background: #fff1c2; color: #7d4e00; }
  .bad { background: #ffebe9; color: #a40e26; }
  .muted { background: #eaeef2; color: #57606a; }
  a { color: #0f6cbd; }
  figure { margin: 0; }
  figcaption { margin-top: .5rem; }
  ol.timeline { list-style: none; margin: 0; padding: 0; }
  .timeline li { display: grid; grid-template-columns: minmax(0, 18rem) minmax(8rem, 1fr) 7.5rem; gap: .75rem; align-items: center; padding: .15rem 0; font-size: .88rem; }
  .timeline .label { overflow-wrap: anywhere; }
  .timeline .track { position: relative; height: 14px; }
  .timeline .track svg { display: block; width: 100%; height: 14px; }
  .timeline .axis { position: relative; height: 1.1rem; color: #57606a; font-size: .75rem; }
  .timeline .axis span { position: absolute; transform: translateX(-50%); }
  .timeline .axis span.last { transform: translateX(-100%); }
  .timeline .caption { white-space: nowrap; }
  @media (max-width: 40rem) {
    main { margin: 0; padding: 1rem; border-radius: 0; }
    .timeline li { grid-template-columns: minmax(0, 1fr) auto; gap: .1rem .5rem; padding: .3rem 0; }
    .timeline .label { grid-column: 1 / -1; }
    .timeline li.axis-row > span:first-child { display: none; }
    /* Tables reflow into one card per row, each value under its column's name. */
    table.reflow thead { display: none; }
    table.reflow, table.reflow tbody, table.reflow tr, table.reflow td { display: block; }
    table.reflow tr { border-bottom: 1px solid #e3e5e8; padding: .4rem 0; }
    /* flow-root holds the floated label, so a two-line label pushes the next value down instead of overlapping it. */
    table.reflow td { display: flow-root; border: 0; padding: .1rem 0 .1rem 9.5rem; text-align: left; overflow-wrap: anywhere; white-space: normal; }
    table.reflow td::before { content: attr(data-label); float: left; width: 9rem; margin-left: -9.5rem; color: #57606a; font-size: .85rem; }
  }
`;
/** The page's words in both languages (tests check each key exists in both). */
export const STATUS_LABELS: Readonly<Record<Locale, StatusLabels>> = { it, en };

function zoneOf(report: StatusReport, locale: Locale): DisplayZone {
  return { locale, timeZone: report.settings.timeZone };
}

function when(iso: string | undefined, zone: DisplayZone): string {
  if (!iso) return '—';
  return formatShortDateTime(new Date(iso), zone);
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

function timelineRows(report: StatusReport, labels: StatusLabels): TimelineRow[] {
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

/** The ticks whose labels keep their distance: "0" and "7" side by side on a two-year scale would overlap. */
export function timelineTicks(span: number): number[] {
  const ticks: number[] = [];
  for (const tick of TIMELINE_TICKS.filter((days) => days <= span)) {
    const previous = ticks.at(-1);
    if (previous === undefined || (tick - previous) / span >= TIMELINE_TICK_MIN_GAP) ticks.push(tick);
  }
  // The scale's end is the tick a reader needs most: it replaces a neighbour too close to it.
  const last = TIMELINE_TICKS.filter((days) => days <= span).at(-1);
  if (last !== undefined && ticks.at(-1) !== last) {
    if ((last - (ticks.at(-1) ?? 0)) / span < TIMELINE_TICK_MIN_GAP) ticks.pop();
    ticks.push(last);
  }
  return ticks;
}

/**
 * A bar per credential and mailbox from today to its expiry: the shortest bars are the problems. HTML
 * rows (labels wrap instead of being cut; on a phone the label goes above its bar), each bar an inline SVG.
 */
function renderTimeline(report: StatusReport, labels: StatusLabels): string {
  const rows = timelineRows(report, labels);
  if (rows.length === 0) return '';
  const e = escapeHtml;
  const span = Math.min(TIMELINE_MAX_DAYS, Math.max(TIMELINE_MIN_DAYS, ...rows.map((row) => row.daysLeft)));
  const share = (days: number): number => Math.min(Math.max(days, 0), span) / span;
  const percent = (days: number): string => `${(share(days) * 100).toFixed(2)}%`;
  const ticks = timelineTicks(span);
  const axis = ticks
    .map(
      (tick, index) =>
        `<span${index === ticks.length - 1 ? ' class="last"' : ''} style="left:${percent(tick)}">${tick}</span>`,
    )
    .join('');
  const gridLines = ticks
    .map(
      (tick) =>
        `<line x1="${share(tick) * 1000}" y1="0" x2="${share(tick) * 1000}" y2="14" stroke="#d0d7de" stroke-width="2"/>`,
    )
    .join('');
  const items = rows.map((row) => {
    const width = Math.max(4, share(row.daysLeft) * 1000);
    const bar = `<svg viewBox="0 0 1000 14" preserveAspectRatio="none" aria-hidden="true">${gridLines}<rect x="0" y="1" width="${width.toFixed(1)}" height="12" rx="3" fill="${BAR_COLOURS[row.tone]}"/></svg>`;
    return `<li><span class="label">${e(row.label)}</span><span class="track">${bar}</span><span class="caption">${e(row.daysLeft > span ? `› ${row.caption}` : row.caption)}</span></li>`;
  });
  return `<figure role="img" aria-label="${e(labels.timeline)}"><ol class="timeline"><li class="axis-row" aria-hidden="true"><span></span><span class="axis">${axis}</span><span></span></li>${items.join('')}</ol><figcaption class="meta">${e(labels.timelineCaption)}</figcaption></figure>`;
}

/** One cell: its class (`when`, `num`…, or '') and its HTML. */
type Cell = readonly [className: string, html: string];

/** A table that scrolls when it must on a tablet and reflows into cards on a phone (`data-label` names each value). */
function table(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const e = escapeHtml;
  const body = rows.map(
    (cells) =>
      `<tr>${cells.map(([className, html], index) => `<td${className ? ` class="${className}"` : ''} data-label="${e(columns[index] ?? '')}">${html}</td>`).join('')}</tr>`,
  );
  return `<div class="scroll"><table class="reflow"><thead><tr>${columns.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

function renderCredentials(report: StatusReport, labels: StatusLabels, zone: DisplayZone): string {
  const e = escapeHtml;
  const rows = report.credentials.map((credential) => {
    const tone = severity(credential.daysLeft, credential.status);
    const inUse = credential.inUse ? ` <span class="badge muted">${e(labels.inUse)}</span>` : '';
    const cells: Cell[] = [
      ['', `<strong>${e(credential.label)}</strong>${inUse}`],
      ['', e(labels.kinds[credential.kind])],
      ['when', e(when(credential.expiresAt, zone))],
      ['num', String(credential.daysLeft)],
      ['', `<span class="badge ${tone}">${e(labels.statuses[credential.status])}</span>`],
    ];
    return cells;
  });
  return `<h2>${e(labels.credentials)}</h2>${table(labels.credentialColumns, rows)}`;
}

function renderMailbox(mailbox: MailboxHealth, labels: StatusLabels, zone: DisplayZone): Cell[] {
  const e = escapeHtml;
  const state =
    mailbox.status === 'ok'
      ? `<span class="badge ok">${e(labels.grantOk)}</span>`
      : `<span class="badge bad">${e(labels.grantReconnect)}</span>${mailbox.lastErrorCode ? ` <code>${e(mailbox.lastErrorCode)}</code>` : ''}${mailbox.reconnectUrl ? ` <a href="${e(mailbox.reconnectUrl)}">${e(labels.reconnect)}</a>` : ''}`;
  return [
    ['', `<strong>${e(mailbox.upn)}</strong>`],
    ['', state],
    ['when', e(when(mailbox.lastRefreshAt, zone))],
    ['num', e(labels.days(mailbox.idleDays))],
    ['num', e(labels.days(mailbox.daysUntilInactivityExpiry))],
  ];
}

function renderMailboxes(report: StatusReport, labels: StatusLabels, zone: DisplayZone): string {
  const e = escapeHtml;
  if (report.mailboxes.length === 0)
    return `<h2>${e(labels.mailboxes)}</h2><p class="meta">${e(labels.noMailboxes)}</p>`;
  return `<h2>${e(labels.mailboxes)}</h2>${table(
    labels.mailboxColumns,
    report.mailboxes.map((m) => renderMailbox(m, labels, zone)),
  )}`;
}

function renderRuns(
  title: string,
  runs: StatusReport['runs'],
  labels: StatusLabels,
  zone: DisplayZone,
  emptyText?: string,
): string {
  const e = escapeHtml;
  if (runs.length === 0) return emptyText ? `<h2>${e(title)}</h2><p class="meta">${e(emptyText)}</p>` : '';
  const rows = runs.map((run) => {
    const errors = run.errors.length > 0 ? run.errors.map((code) => `<code>${e(code)}</code>`).join(' ') : '—';
    const outcome = run.finishedAt ? describeRun(run.counts, zone.locale) : labels.running;
    const cells: Cell[] = [
      ['when', e(when(run.startedAt, zone))],
      ['when', run.finishedAt ? e(when(run.finishedAt, zone)) : e(labels.running)],
      ['run-summary', e(outcome)],
      ['', errors],
    ];
    return cells;
  });
  return `<h2>${e(title)}</h2>${table(labels.runColumns, rows)}`;
}

function renderRotations(report: StatusReport, labels: StatusLabels, zone: DisplayZone): string {
  const e = escapeHtml;
  const heading = `<h2>${e(labels.rotations)}</h2><p class="meta">${e(labels.rotationMode[report.settings.rotationMode])}</p>`;
  if (report.rotations.length === 0) return `${heading}<p class="meta">${e(labels.noRotations)}</p>`;
  const rows = report.rotations.map((rotation) => {
    const notes = [
      ...(rotation.blockedReason ? [`<code>${e(rotation.blockedReason)}</code>`] : []),
      // The latest rotation's failing step with what to do about it; older rotations keep only their code.
      ...(rotation.lastError
        ? [
            `<code>${e(rotation.lastError)}</code>${rotation === report.rotations[0] ? ` ${escapeHtmlWithCode(rotationErrorFix(rotation.lastError, zone.locale))}` : ''}`,
          ]
        : []),
    ];
    const cells: Cell[] = [
      ['when', e(when(rotation.startedAt, zone))],
      ['', `<span data-step="${e(rotation.step)}">${e(describeRotationStep(rotation.step, zone.locale))}</span>`],
      ['when', e(when(rotation.newEndDateTime, zone))],
      ['', notes.join(' ') || '—'],
    ];
    return cells;
  });
  return `${heading}${table(labels.rotationColumns, rows)}`;
}

/** What the latest monitor run could not check, in words. */
function renderRunGaps(report: StatusReport, locale: Locale): string {
  const gaps = describeRunGaps(report.runs[0]?.errors ?? [], locale);
  if (gaps.length === 0) return '';
  return `<div class="notice"><strong>${escapeHtml(runGapsHeading(locale))}</strong><ul>${gaps.map((gap) => `<li>${escapeHtml(gap)}</li>`).join('')}</ul></div>`;
}

/**
 * The page language: `?lang=it|en` (the switch's links) over Accept-Language. Any other `lang` value is
 * ignored, never echoed.
 */
export function statusPageLocale(lang: string | null, acceptLanguage: string | null): Locale {
  return lang !== null && isLocale(lang) ? lang : pickLocale(acceptLanguage);
}

/** Plain links, no script (the CSP forbids it): the same query (the function key's `code` included) with `lang` set. */
function renderLanguageSwitch(locale: Locale, query: URLSearchParams, labels: StatusLabels): string {
  const links = LOCALES.map((other) => {
    if (other === locale)
      return `<strong lang="${other}" aria-current="true">${escapeHtml(LANGUAGE_NAMES[other])}</strong>`;
    const params = new URLSearchParams(query);
    params.set('lang', other);
    return `<a lang="${other}" hreflang="${other}" href="?${escapeHtml(params.toString())}">${escapeHtml(LANGUAGE_NAMES[other])}</a>`;
  });
  return `<nav class="language" aria-label="${escapeHtml(labels.language)}">${links.join('')}</nav>`;
}

/** `query`: the request's query string, kept in the language links (the function key travels in `code`). */
export function renderStatusPage(
  report: StatusReport,
  locale: Locale,
  query: URLSearchParams = new URLSearchParams(),
): string {
  const labels = STATUS_LABELS[locale];
  const zone = zoneOf(report, locale);
  const e = escapeHtml;
  const notices = [
    report.missingPermission ? `<p class="notice">${e(labels.missingPermission(report.missingPermission))}</p>` : '',
    report.sourceErrors.length > 0
      ? `<p class="notice">${e(labels.sourceErrors)}: ${report.sourceErrors.map((code) => `<code>${e(code)}</code>`).join(' ')}</p>`
      : '',
    report.warnings.includes('alarm_channel_needs_secret')
      ? `<p class="notice">${e(labels.alarmChannelNeedsSecret)}</p>`
      : '',
    renderRunGaps(report, locale),
  ].join('');
  const body = [
    `<header><h1>${e(labels.title)}</h1>${renderLanguageSwitch(locale, query, labels)}</header>`,
    `<p class="meta">${e(labels.app)} «${e(report.app.displayName)}» · <code>${e(report.app.appId)}</code> · ${e(labels.generated)} <span class="when">${e(formatDateTime(new Date(report.generatedAt), zone))}</span></p>`,
    `<p class="meta"><strong>${e(labels.posture[report.credentialPosture])}</strong></p>`,
    notices,
    `<h2>${e(labels.timeline)}</h2>`,
    renderTimeline(report, labels),
    renderCredentials(report, labels, zone),
    renderMailboxes(report, labels, zone),
    renderRuns(labels.runs, report.runs, labels, zone, labels.noRuns),
    renderRuns(labels.alarms, report.credentialAlarms, labels, zone),
    renderRotations(report, labels, zone),
  ].join('\n');
  return renderPage({ lang: locale, title: labels.title, bodyHtml: body, style: STYLE });
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
