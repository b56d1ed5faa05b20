import { describe, expect, it } from 'vitest';
import type { StatusReport } from '#src/shared/services/status/statusService.js';
import {
  renderStatusPage,
  STATUS_LABELS,
  statusPageLocale,
  timelineTicks,
} from '#src/shared/services/status/statusPage.js';
import { englishWordsIn, missingKeys } from '../../../../support/catalogues.js';

const LONG_ADDRESS = 'amministrazione.fatturazione.elettronica@contoso-italia-servizi.onmicrosoft.com';

function report(timeZone = 'Europe/Rome'): StatusReport {
  return {
    generatedAt: '2026-12-04T14:51:00.000Z',
    app: { appId: '11111111-2222-3333-4444-555555555555', tenantId: 'tenant', displayName: 'keyrelay' },
    credentialPosture: 'secret',
    sourceErrors: [],
    warnings: [],
    settings: { rotationMode: 'auto', alertThresholdsDays: [60, 30, 14, 7, 1], timeZone },
    credentials: [
      {
        id: 'a',
        kind: 'client-secret',
        label: 'rinnovo 2026-12',
        expiresAt: '2028-11-24T14:51:00.000Z',
        daysLeft: 720,
        status: 'ok',
        inUse: true,
        managedByKeyrelay: true,
      },
      {
        id: 'b',
        kind: 'client-secret',
        label: 'iniziale',
        expiresAt: '2026-12-24T14:51:00.000Z',
        daysLeft: 20,
        status: 'superseded',
        inUse: false,
        managedByKeyrelay: true,
      },
    ],
    mailboxes: [
      {
        upn: LONG_ADDRESS,
        tenantId: 't',
        status: 'ok',
        connectedAt: '2026-12-01T08:00:00.000Z',
        lastRefreshAt: '2026-12-04T14:50:00.000Z',
        idleDays: 0,
        daysUntilInactivityExpiry: 90,
      },
      {
        upn: 'mario.rossi@contoso.onmicrosoft.com',
        tenantId: 't',
        status: 'reconnect_required',
        connectedAt: '2026-12-01T08:00:00.000Z',
        lastRefreshAt: '2026-12-02T08:00:00.000Z',
        idleDays: 2,
        daysUntilInactivityExpiry: 88,
        lastErrorCode: 'invalid_grant',
        reconnectUrl: 'https://keyrelay.example/api/connect?loginHint=mario',
      },
    ],
    runs: [
      {
        runId: 'run-2',
        startedAt: '2026-12-04T14:51:00.000Z',
        finishedAt: '2026-12-04T14:51:05.000Z',
        counts: { credentials: 2, mailboxes: 2, alertsDue: 0, reconnectRequired: 1, alertsSent: 2, rotationSteps: 5 },
        errors: [],
      },
      { runId: 'run-3', startedAt: '2026-12-04T15:00:00.000Z', counts: {}, errors: [] },
    ],
    credentialAlarms: [],
    rotations: [
      {
        rotationId: 'r1',
        step: 'switched',
        startedAt: '2026-12-04T14:51:01.000Z',
        switchedAt: '2026-12-04T14:51:03.000Z',
        newEndDateTime: '2028-11-24T14:51:00.000Z',
      },
    ],
  };
}

/** The page's text; `<code>` (error codes such as `invalid_grant`) becomes a code span, as englishWordsIn expects. */
const text = (html: string): string =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<code>([^<]*)<\/code>/g, '`$1`')
    .replace(/<[^>]*>/g, ' ');

describe('renderStatusPage', () => {
  it('shows every time in ALERT_TIME_ZONE with the zone named, in both languages', () => {
    const italian = text(renderStatusPage(report('Europe/Rome'), 'it'));
    expect(italian).toContain('4 dicembre 2026, 15:51 CET');
    expect(italian).toContain('24 nov 2028, 15:51 CET');
    expect(italian).not.toMatch(/\b14:51\b/);
    const english = text(renderStatusPage(report('UTC'), 'en'));
    expect(english).toContain('4 December 2026, 14:51 UTC');
    expect(english).toContain('24 Nov 2028, 14:51 UTC');
  });

  it('says the runs in words and translates the rotation step ("switched")', () => {
    const italian = text(renderStatusPage(report(), 'it'));
    expect(italian).toContain(
      'Controllati 2 credenziali e 2 caselle, 2 avvisi inviati, 1 casella da ricollegare, rinnovo del segreto client avanzato di 5 passi',
    );
    expect(italian).toContain('nuovo segreto in uso');
    expect(italian).toContain('in corso');
    expect(italian).not.toMatch(/alertsSent|alertsDue|switched/);
    const english = text(renderStatusPage(report(), 'en'));
    expect(english).toContain('Checked 2 credentials and 2 mailboxes, 2 alerts sent, 1 mailbox to reconnect');
    expect(english).toContain('new secret in use');
  });

  it('links the other language with the same query (the function key stays), and marks the current one', () => {
    const html = renderStatusPage(report(), 'it', new URLSearchParams({ code: 'k+y/=', lang: 'it' }));
    expect(html).toContain('<a lang="en" hreflang="en" href="?code=k%2By%2F%3D&amp;lang=en">English</a>');
    expect(html).toContain('<strong lang="it" aria-current="true">Italiano</strong>');
    expect(renderStatusPage(report(), 'en')).toContain('href="?lang=it"');
  });

  it('keeps long addresses whole but breakable, dates on one line, and every table scrolling or reflowing into labelled cards', () => {
    const html = renderStatusPage(report(), 'en');
    expect(html).toContain(`<span class="label">mailbox access · ${LONG_ADDRESS}</span>`);
    expect(html).not.toContain('…');
    expect(html).toContain('<td class="when" data-label="Expires">24 Nov 2028, 15:51 CET</td>');
    expect(html.match(/<div class="scroll"><table class="reflow">/g)).toHaveLength(4);
    expect(html).toContain('<td class="num" data-label="Idle for">0 days</td>');
    expect(html).toMatch(/\.when, \.num \{ white-space: nowrap; \}/);
  });

  it('has each label in both languages and no English word on the Italian page', () => {
    expect(missingKeys(STATUS_LABELS)).toEqual({ it: [], en: [] });
    const withNotices: StatusReport = {
      ...report(),
      missingPermission: 'Application.Read.All',
      sourceErrors: ['graph_unavailable'],
      warnings: ['alarm_channel_needs_secret'],
      credentialPosture: 'secret',
    };
    expect(englishWordsIn(text(renderStatusPage(withNotices, 'it')))).toEqual([]);
    expect(
      englishWordsIn(
        text(
          renderStatusPage(
            { ...report(), credentialPosture: 'federated', runs: [], mailboxes: [], rotations: [] },
            'it',
          ),
        ),
      ),
    ).toEqual([]);
  });
});

describe('timelineTicks', () => {
  it('drops tick labels that would overlap and always keeps the end of the scale', () => {
    expect(timelineTicks(730)).toEqual([0, 90, 180, 365, 730]);
    expect(timelineTicks(90)).toEqual([0, 30, 60, 90]);
    expect(timelineTicks(400)).toEqual([0, 60, 180, 365]);
  });
});

describe('statusPageLocale', () => {
  it('takes ?lang=it|en over Accept-Language and ignores any other value', () => {
    expect(statusPageLocale('en', 'it-IT')).toBe('en');
    expect(statusPageLocale('it', 'en-GB')).toBe('it');
    expect(statusPageLocale('<script>', 'en-GB,en;q=0.9')).toBe('en');
    expect(statusPageLocale('fr', null)).toBe('it');
    expect(statusPageLocale(null, 'en')).toBe('en');
  });

  it('never writes a refused lang value into the page', () => {
    const hostile = '"><script>alert(1)</script>';
    const html = renderStatusPage(report(), statusPageLocale(hostile, null), new URLSearchParams({ lang: hostile }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('<html lang="it">');
  });
});
