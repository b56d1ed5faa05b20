// HTTP answers of the connect flow: the redirect to Microsoft, the redirect back to the product, and the
// result pages in Italian or English. Page text comes only from src/shared/domain/connect/messages.ts and
// the escaped mailbox address: never from upstream free text (error_description).
import type { Locale } from '../presentation/locale.js';
import {
  CONNECT_FAILURE_STATUS,
  connectFailureFor,
  explainConnectFailure,
  explainSignInError,
  type ConnectFailureCode,
  type SignInErrorExplanation,
} from '../domain/connect/entraErrors.js';
import {
  adminConsentAnsweredText,
  adminConsentText,
  connectedText,
  type ResultText,
} from '../domain/connect/messages.js';
import { smtpAuthAdvice, type SmtpAuthAdvice } from '../domain/connect/smtpAuth.js';
import type { CallbackOutcome, CallbackRejectionCode, ConnectStarted } from '../services/connect/connectService.js';
import { escapeHtml, escapeHtmlWithCode } from '../presentation/html.js';
import { renderPage } from '../presentation/page.js';
import { htmlResult, redirectResult, type HttpResult } from './results.js';

export function connectStartResult(started: ConnectStarted): HttpResult {
  return redirectResult(started.authorizeUrl, [started.cookie]);
}

export function callbackResult(outcome: CallbackOutcome, locale: Locale): HttpResult {
  const cookies = outcome.clearCookies;
  let result: HttpResult;
  switch (outcome.kind) {
    case 'connected':
      if (outcome.redirectTo !== undefined) return redirectResult(outcome.redirectTo, cookies);
      result = htmlResult(
        200,
        resultPage(locale, connectedText(locale, outcome.upn), smtpAuthAdvice(locale, outcome.upn, outcome.smtpAuth)),
      );
      break;
    case 'adminConsent':
      result = outcome.refused
        ? htmlResult(400, resultPage(locale, adminConsentText(locale, false)))
        : htmlResult(200, resultPage(locale, adminConsentAnsweredText(locale)));
      break;
    case 'signInError':
      result = htmlResult(
        outcome.status,
        explanationPage(
          locale,
          explainSignInError(outcome.signInError, locale, outcome.links),
          outcome.signInError.error,
        ),
      );
      break;
    case 'rejected':
      result = htmlResult(
        CONNECT_FAILURE_STATUS[connectFailureFor(explanationCode(outcome.code))] ?? 400,
        explanationPage(
          locale,
          explainConnectFailure(explanationCode(outcome.code), locale, outcome.links),
          outcome.code,
        ),
      );
      break;
  }
  return cookies.length > 0 ? { ...result, cookies } : result;
}

// The service's own refusal codes that the domain does not list are all "invalid callback" to the admin.
function explanationCode(code: CallbackRejectionCode): ConnectFailureCode {
  switch (code) {
    case 'id_token_bad_signature':
    case 'client_info_mismatch':
    case 'code_rejected':
      return 'state_mismatch';
    default:
      return code;
  }
}

function resultPage(locale: Locale, text: ResultText, smtpAuth?: SmtpAuthAdvice): string {
  const smtp =
    smtpAuth === undefined
      ? ''
      : `\n<p>${escapeHtmlWithCode(smtpAuth.summary)}</p>${smtpAuth.fix === undefined ? '' : `\n<p><strong>${escapeHtmlWithCode(smtpAuth.fix)}</strong></p>`}`;
  return renderPage({
    lang: locale,
    title: text.title,
    bodyHtml: `<h1>${escapeHtml(text.title)}</h1>\n<p>${escapeHtml(text.explanation)}</p>${smtp}`,
  });
}

const NEXT_STEPS_HEADING: Readonly<Record<Locale, string>> = { it: 'Cosa fare', en: 'What to do' };

function explanationPage(locale: Locale, explanation: SignInErrorExplanation, code: string): string {
  const steps = explanation.nextSteps.map((step) => `<li>${escapeHtml(step)}</li>`).join('\n');
  const action =
    explanation.action === undefined
      ? ''
      : `\n<p><a class="button" href="${escapeHtml(explanation.action.href)}">${escapeHtml(explanation.action.label)}</a></p>`;
  return renderPage({
    lang: locale,
    title: explanation.title,
    bodyHtml: [
      `<h1>${escapeHtml(explanation.title)}</h1>`,
      `<p>${escapeHtml(explanation.explanation)}</p>`,
      `<h2>${NEXT_STEPS_HEADING[locale]}</h2>`,
      `<ol>\n${steps}\n</ol>${action}`,
      `<p><small><code>${escapeHtml(code)}</code></small></p>`,
    ].join('\n'),
  });
}
