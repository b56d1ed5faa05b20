// Whether Exchange Online lets a mailbox submit mail with SMTP AUTH (XOAUTH2), from the SMTP reply of a
// probe (EHLO, STARTTLS, AUTH XOAUTH2, QUIT; no mail sent), and what an admin does about it.
// Exchange: SMTP AUTH disabled for the mailbox or the tenant answers `535 5.7.139`; a shared mailbox as
// the XOAUTH2 identity (or a token Exchange does not take) answers `535 5.7.3`
// (https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission).
import type { Locale } from '#src/shared/presentation/locale.js';

export type SmtpAuthState = 'ok' | 'disabled' | 'unknown';

export interface SmtpAuthCheck {
  state: SmtpAuthState;
  /** Exchange's enhanced status code (`5.7.139`, `5.7.3`) or a keyrelay code (`smtp_unreachable`); never free text. */
  code?: string;
}

const ENHANCED_STATUS = /\b([245]\.\d{1,3}\.\d{1,3})\b/;

/** The probe's outcome from the SMTP reply that ended it (undefined reply: no SMTP answer at all). */
export function smtpAuthCheckOf(reply: { responseCode?: number; response?: string } | undefined): SmtpAuthCheck {
  if (reply?.responseCode === undefined) return { state: 'unknown', code: 'smtp_unreachable' };
  const enhanced = ENHANCED_STATUS.exec(reply.response ?? '')?.[1];
  if (reply.responseCode === 535 && enhanced === '5.7.139') return { state: 'disabled', code: enhanced };
  return { state: 'unknown', code: enhanced ?? String(reply.responseCode) };
}

export interface SmtpAuthAdvice {
  summary: string;
  /** The exact fix, when there is one. */
  fix?: string;
}

/** What the result page and doctor say about the check. */
export function smtpAuthAdvice(locale: Locale, upn: string, check: SmtpAuthCheck): SmtpAuthAdvice {
  const command = `Set-CASMailbox -Identity ${upn} -SmtpClientAuthenticationDisabled $false`;
  if (check.state === 'ok') {
    return {
      summary:
        locale === 'it'
          ? 'Invio SMTP (AUTH XOAUTH2) verificato: funziona.'
          : 'SMTP submission (AUTH XOAUTH2) checked: it works.',
    };
  }
  if (check.state === 'disabled') {
    return locale === 'it'
      ? {
          summary: `Exchange rifiuta l'invio SMTP per questa casella (535 5.7.139: SMTP AUTH disattivato per la casella o il tenant).`,
          fix: `Un amministratore Exchange lo attiva: interfaccia di amministrazione di Exchange > Destinatari > Cassette postali > ${upn} > Gestisci app di posta elettronica > "SMTP autenticato", oppure in PowerShell: ${command} (se è disattivato per tutto il tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false).`,
        }
      : {
          summary:
            'Exchange refuses SMTP submission for this mailbox (535 5.7.139: SMTP AUTH is disabled for the mailbox or the tenant).',
          fix: `An Exchange admin enables it: Exchange admin center > Recipients > Mailboxes > ${upn} > Manage email apps > "Authenticated SMTP", or in PowerShell: ${command} (if it is off for the whole tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false).`,
        };
  }
  if (check.code === '5.7.3') {
    return locale === 'it'
      ? {
          summary: 'Exchange non accetta questa casella per AUTH XOAUTH2 (535 5.7.3).',
          fix: "Se è una casella condivisa: collega la casella di un utente delegato (con autorizzazione 'Invia come') e invia come indirizzo condiviso.",
        }
      : {
          summary: 'Exchange does not accept this mailbox for AUTH XOAUTH2 (535 5.7.3).',
          fix: "If it is a shared mailbox: connect the mailbox of a delegate user (with 'Send As' permission) and send as the shared address.",
        };
  }
  return {
    summary:
      locale === 'it'
        ? `Invio SMTP non verificato (${check.code ?? 'sconosciuto'}): sarà controllato di nuovo da \`npm run doctor\`.`
        : `SMTP submission not verified (${check.code ?? 'unknown'}): \`npm run doctor\` checks it again.`,
  };
}
