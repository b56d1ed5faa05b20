// The urgent message sent the moment Entra ID refuses keyrelay's own client secret (DESIGN §6, "alarms
// that do not depend on what broke"): a short mail and a webhook body (Teams card + a `keyrelay` member),
// Italian or English. Pure: no channel, no clock. Never carries a secret, only the stable Entra code.
import { escapeHtml } from '#src/shared/presentation/html.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { formatDateTime, type DisplayZone } from '#src/shared/presentation/time.js';
import { mailHtmlText, portalCredentialsUrl } from './digest.js';
import { adaptiveCardMessage, type AdaptiveCardMessage } from './webhookPayload.js';

export interface CredentialAlarmFacts {
  appId: string;
  /** e.g. AADSTS7000215 (invalid secret), AADSTS7000222 (expired secret). */
  code: string;
  at: Date;
}

export interface CredentialAlarmMessage {
  subject: string;
  html: string;
  webhook: AdaptiveCardMessage & {
    keyrelay: {
      type: 'keyrelay.credential_refused';
      version: 1;
      appId: string;
      code: string;
      at: string;
      portalUrl: string;
    };
  };
}

export const CREDENTIAL_ALARM_TEXT: Record<
  Locale,
  {
    subject: (app: string, code: string) => string;
    lines: (code: string, at: string) => string[];
    portalAction: string;
  }
> = {
  it: {
    subject: (app, code) => `[keyrelay] URGENTE ${app}: Entra ID rifiuta il segreto client (${code})`,
    lines: (code, at) => [
      `Dal ${at} Entra ID rifiuta il segreto client di keyrelay (${code}): keyrelay non può più dare token alle caselle, quindi la posta non parte.`,
      'Esegui subito `npm run doctor` per la causa. Se il segreto è scaduto o è stato eliminato, creane uno nuovo con `npm run setup` (lo scrive direttamente in Key Vault) oppure passa a OAUTH_CLIENT_CREDENTIAL=federated.',
      "Questo avviso arriva al massimo una volta all'ora finché il problema resta.",
    ],
    portalAction: 'Apri Certificati e segreti',
  },
  en: {
    subject: (app, code) => `[keyrelay] URGENT ${app}: Entra ID refuses the client secret (${code})`,
    lines: (code, at) => [
      `Since ${at} Entra ID refuses keyrelay's client secret (${code}): keyrelay can no longer hand out mailbox tokens, so mail stops.`,
      'Run `npm run doctor` now for the cause. If the secret expired or was deleted, create a new one with `npm run setup` (it writes it straight into Key Vault) or switch to OAUTH_CLIENT_CREDENTIAL=federated.',
      'This alarm repeats at most once an hour while the problem lasts.',
    ],
    portalAction: 'Open Certificates & secrets',
  },
};

export function renderCredentialAlarm(facts: CredentialAlarmFacts, zone: DisplayZone): CredentialAlarmMessage {
  const text = CREDENTIAL_ALARM_TEXT[zone.locale];
  const subject = text.subject(facts.appId, facts.code);
  const lines = text.lines(facts.code, formatDateTime(facts.at, zone));
  const portalUrl = portalCredentialsUrl(facts.appId);
  const html = [
    `<!doctype html><html lang="${zone.locale}"><head><meta charset="utf-8"></head><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1b1b1b;line-height:1.5">`,
    `<h2 style="color:#a4262c;font-size:18px">${escapeHtml(subject)}</h2>`,
    ...lines.map((line) => `<p>${mailHtmlText(line)}</p>`),
    `<p><a style="color:#0f6cbd" href="${escapeHtml(portalUrl)}">${escapeHtml(text.portalAction)}</a><br><span style="word-break:break-all;overflow-wrap:anywhere">${escapeHtml(portalUrl)}</span></p>`,
    '</body></html>',
  ].join('');
  return {
    subject,
    html,
    webhook: {
      ...adaptiveCardMessage(
        subject,
        [
          { type: 'TextBlock', text: subject, weight: 'Bolder', color: 'Attention', wrap: true },
          // Adaptive Card markdown would read `*` and `_` in the lines as formatting; backticks stay, as code.
          ...lines.map((line) => ({ type: 'TextBlock', text: line.replace(/[*_[\]]/g, ''), wrap: true })),
        ],
        [{ type: 'Action.OpenUrl', title: text.portalAction, url: portalUrl }],
      ),
      keyrelay: {
        type: 'keyrelay.credential_refused',
        version: 1,
        appId: facts.appId,
        code: facts.code,
        at: facts.at.toISOString(),
        portalUrl,
      },
    },
  };
}
