// The one place where errors become HTTP responses (STYLE.md habit 5). Only a KeyrelayError's code and
// public message leave the process; anything else becomes a generic 500, whatever its text says.
import type { Locale } from '../presentation/locale.js';
import {
  INTERNAL_ERROR,
  InternalError,
  INVALID_REQUEST,
  isKeyrelayError,
  MAILBOX_NOT_CONNECTED,
  RECONNECT_REQUIRED,
  STATUS_OF_CODE,
  TOO_MANY_REQUESTS,
  UNAUTHORIZED,
  UPSTREAM_UNAVAILABLE,
  type KeyrelayErrorCode,
  ReconnectRequiredError,
  RetryLaterError,
  UPSTREAM_UNAVAILABLE_MESSAGE,
  UpstreamUnavailableError,
  type KeyrelayError,
} from '../errors.js';
import { escapeHtml } from '../presentation/html.js';
import { renderPage } from '../presentation/page.js';
import { htmlResult, jsonResult, type HttpResult } from './results.js';

export interface ErrorResultOptions {
  /** `json` for API routes, `html` for pages a browser opens (connect, callback, status). */
  format: 'json' | 'html';
  locale: Locale;
}

interface PageText {
  title: string;
  explanation: string;
}

const ITALIAN_PAGE_TEXT: Readonly<Partial<Record<KeyrelayErrorCode, PageText>>> = {
  [INVALID_REQUEST]: {
    title: 'Richiesta non valida',
    explanation: 'La richiesta non è valida. Ricomincia dal prodotto.',
  },
  [UNAUTHORIZED]: { title: 'Accesso negato', explanation: 'Credenziali mancanti o non valide.' },
  [MAILBOX_NOT_CONNECTED]: {
    title: 'Casella non collegata',
    explanation: 'Questa casella di posta non è collegata a keyrelay.',
  },
  [RECONNECT_REQUIRED]: {
    title: 'Nuovo accesso necessario',
    explanation: "L'autorizzazione della casella non è più valida: accedi di nuovo con l'account Microsoft 365.",
  },
  [TOO_MANY_REQUESTS]: {
    title: 'Troppi tentativi',
    explanation: 'Sono stati fatti troppi tentativi di collegamento in poco tempo. Riprova più tardi.',
  },
  [UPSTREAM_UNAVAILABLE]: {
    title: 'Servizio non disponibile',
    explanation: 'Un servizio Microsoft non risponde in questo momento. Riprova tra qualche minuto.',
  },
  [INTERNAL_ERROR]: {
    title: 'Errore imprevisto',
    explanation: 'Si è verificato un errore imprevisto. Riprova più tardi.',
  },
};

const ENGLISH_TITLES: Readonly<Partial<Record<KeyrelayErrorCode, string>>> = {
  [INVALID_REQUEST]: 'Invalid request',
  [UNAUTHORIZED]: 'Access denied',
  [MAILBOX_NOT_CONNECTED]: 'Mailbox not connected',
  [RECONNECT_REQUIRED]: 'Sign-in required again',
  [TOO_MANY_REQUESTS]: 'Too many attempts',
  [UPSTREAM_UNAVAILABLE]: 'Service unavailable',
  [INTERNAL_ERROR]: 'Unexpected error',
};

const RECONNECT_LABEL: Readonly<Record<Locale, string>> = { it: 'Collega di nuovo', en: 'Connect again' };
const ADMIN_CONSENT_LABEL: Readonly<Record<Locale, string>> = {
  it: 'Consenso amministratore',
  en: 'Administrator consent',
};

function pageText(error: KeyrelayError, locale: Locale): PageText & { detail?: string } {
  if (locale === 'it') {
    const text = ITALIAN_PAGE_TEXT[error.code] ?? { title: 'Errore', explanation: error.publicMessage };
    // A 503 that names what an administrator must do keeps that (English) instruction on the page too.
    const namesFix = error instanceof UpstreamUnavailableError && error.publicMessage !== UPSTREAM_UNAVAILABLE_MESSAGE;
    return namesFix ? { ...text, detail: error.publicMessage } : text;
  }
  return { title: ENGLISH_TITLES[error.code] ?? 'Error', explanation: error.publicMessage };
}

export function toErrorResult(error: unknown, { format, locale }: ErrorResultOptions): HttpResult {
  const publicError = isKeyrelayError(error) ? error : new InternalError({ cause: error });
  const status = STATUS_OF_CODE[publicError.code];
  const headers: Record<string, string> =
    publicError instanceof RetryLaterError
      ? { 'Retry-After': String(Math.max(1, Math.ceil(publicError.retryAfterSeconds))) }
      : {};
  const connectUrl = publicError instanceof ReconnectRequiredError ? publicError.connectUrl : undefined;
  const adminConsentUrl = publicError instanceof ReconnectRequiredError ? publicError.adminConsentUrl : undefined;

  if (format === 'json') {
    return jsonResult(
      status,
      {
        error: publicError.code,
        message: publicError.publicMessage,
        ...(connectUrl === undefined ? {} : { connectUrl }),
        ...(adminConsentUrl === undefined ? {} : { adminConsentUrl }),
      },
      headers,
    );
  }

  const { title, explanation, detail } = pageText(publicError, locale);
  const reconnectLink =
    connectUrl === undefined
      ? ''
      : `\n<p>${adminConsentUrl === undefined ? '' : `<a class="button" href="${escapeHtml(adminConsentUrl)}">${ADMIN_CONSENT_LABEL[locale]}</a> `}<a class="button" href="${escapeHtml(connectUrl)}">${RECONNECT_LABEL[locale]}</a></p>`;
  const detailHtml = detail === undefined ? '' : `\n<p>${escapeHtml(detail)}</p>`;
  const bodyHtml = `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(explanation)}</p>${detailHtml}${reconnectLink}\n<p><small><code>${escapeHtml(publicError.code)}</code></small></p>`;
  return htmlResult(status, renderPage({ lang: locale, title, bodyHtml }), headers);
}
