import { describe, expect, it } from 'vitest';
import { SIMULATOR_MESSAGES } from '../../../../dev/simulator/messages.js';
import { mailFrameHeight, renderDashboard, renderMail, type DashboardModel } from '../../../../dev/simulator/pages.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { englishWordsIn, missingKeys } from '../../../support/catalogues.js';

const SENDER = 'newsletter@contoso.onmicrosoft.com';
const MAIL = {
  id: 'm1',
  receivedAt: '2026-12-04T14:51:00.000Z',
  from: SENDER,
  message: {
    subject: '[keyrelay] segreto client rinnovato',
    body: {
      contentType: 'html',
      content:
        '<!doctype html><html lang="it"><body><h1>Segreto client rinnovato</h1><p>Il nuovo segreto vale fino al 3 dicembre 2028.</p></body></html>',
    },
    toRecipients: [{ emailAddress: { address: 'giulia.bianchi@contoso.onmicrosoft.com' } }],
  },
};

function model(locale: Locale, timeZone = 'Europe/Rome'): DashboardModel {
  return {
    locale,
    timeZone,
    formToken: 'token',
    notices: [],
    alertSender: SENDER,
    entraOrigin: 'https://127.0.0.1:1',
    connectAsSenderUrl: 'http://127.0.0.1:2/api/connect',
    connectOtherUrl: 'http://127.0.0.1:2/api/connect',
    statusPageUrl: 'http://127.0.0.1:2/api/status?code=k',
    status: {
      ok: true,
      view: {
        credentialPosture: 'secret',
        mailboxes: [
          { upn: SENDER, status: 'ok', lastRefreshAt: '2026-12-04T14:50:00.000Z', daysUntilInactivityExpiry: 90 },
          {
            upn: 'mario.rossi@contoso.onmicrosoft.com',
            status: 'reconnect_required',
            lastRefreshAt: '2026-12-02T08:00:00.000Z',
            daysUntilInactivityExpiry: 88,
          },
        ],
        runs: [
          {
            runId: 'run-1',
            startedAt: '2026-12-04T14:51:00.000Z',
            finishedAt: '2026-12-04T14:51:04.000Z',
            counts: { credentials: 3, mailboxes: 1, alertsDue: 0, reconnectRequired: 0, alertsSent: 1, digestsSent: 1 },
            errors: [],
          },
          { runId: 'run-2', startedAt: '2026-12-04T15:00:00.000Z', counts: {}, errors: [] },
        ],
        rotations: [{ rotationId: 'r1', step: 'switched', startedAt: '2026-12-04T14:51:01.000Z' }],
      },
    },
    lastToken: {
      mailbox: SENDER,
      expiresOn: '2026-12-04T15:51:00.000Z',
      accessTokenPreview: 'eyJ0eXAi…',
      xoauth2Parts: [`user=${SENDER}`, 'auth=Bearer eyJ0eXAi…'],
      xoauth2Matches: true,
      smtp: { host: 'smtp.office365.com', port: 587, security: 'STARTTLS' },
    },
    secrets: {
      ok: true,
      rows: [
        {
          keyId: 'aaaaaaaa-0000',
          displayName: 'keyrelay',
          endDateTime: '2026-12-24T14:51:00.000Z',
          daysLeft: 20,
          inUse: true,
        },
      ],
    },
    outbox: [MAIL],
    expireDaysDefault: 20,
  };
}

/** The page's text; `<code>` (commands, protocol strings) becomes a code span, as englishWordsIn expects. */
const text = (html: string): string =>
  html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<code>([^<]*)<\/code>/g, '`$1`')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#39;/g, "'");

describe('simulator pages', () => {
  it('show every time in ALERT_TIME_ZONE with the zone named, like the status page and the mails', () => {
    const italian = text(renderDashboard(model('it')));
    expect(italian).toContain('4 dic 2026, 15:51 CET');
    expect(italian).not.toContain('UTC');
    expect(text(renderDashboard(model('en', 'UTC')))).toContain('4 Dec 2026, 14:51 UTC');
    expect(text(renderMail('en', 'Europe/Rome', MAIL))).toContain('4 Dec 2026, 15:51 CET');
  });

  it('say the monitor runs in words and translate the rotation step and the mailbox state', () => {
    const italian = renderDashboard(model('it'));
    expect(text(italian)).toContain("Controllati 3 credenziali e 1 casella, 1 avviso inviato, nient'altro in scadenza");
    expect(text(italian)).toContain('nuovo segreto in uso');
    expect(italian).toContain('data-step="switched"');
    expect(text(italian)).toContain('da ricollegare');
    expect(italian).not.toMatch(/alertsSent|alertsDue|>switched<|>reconnect_required</);
    const english = text(renderDashboard(model('en')));
    expect(english).toContain('Checked 3 credentials and 1 mailbox, 1 alert sent, nothing else expiring');
    expect(english).toContain('new secret in use');
  });

  it('have every message in both languages and no English word on the Italian pages', () => {
    expect(missingKeys(SIMULATOR_MESSAGES)).toEqual({ it: [], en: [] });
    const italian = [renderDashboard(model('it')), renderMail('it', 'Europe/Rome', MAIL)].map(text).join('\n');
    expect(englishWordsIn(italian)).toEqual([]);
  });

  it('size the mail frame to the mail: a short mail gets a short frame, a long one a taller frame', () => {
    const short = mailFrameHeight(MAIL.message.body.content);
    expect(short).toBeGreaterThanOrEqual(160);
    expect(short).toBeLessThan(300);
    const long = mailFrameHeight(
      `<body>${'<p>Un paragrafo abbastanza lungo da andare a capo almeno due volte su una colonna di seicento pixel, come un avviso vero.</p>'.repeat(12)}</body>`,
    );
    expect(long).toBeGreaterThan(short + 400);
    expect(renderMail('it', 'Europe/Rome', MAIL)).toContain(`style="height:${short}px"`);
  });
});
