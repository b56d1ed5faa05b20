import { describe, expect, it } from 'vitest';
import {
  connectFailureFor,
  explainConnectFailure,
  explainSignInError,
  type ConnectFailureCode,
} from '#src/shared/domain/connect/entraErrors.js';
import { AADSTS_MESSAGES, adminConsentText, connectedText } from '#src/shared/domain/connect/messages.js';
import type { Locale } from '#src/shared/presentation/locale.js';

const LOCALES: Locale[] = ['it', 'en'];
const links = {
  adminConsentUrl: 'https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=c',
  retryUrl: 'https://keyrelay.example/api/connect',
};
const ENTRA_ERRORS = [
  'access_denied',
  'consent_required',
  'interaction_required',
  'login_required',
  'invalid_request',
  'unauthorized_client',
  'server_error',
  'temporarily_unavailable',
  'invalid_scope',
];
const AADSTS_CODES = [65001, 65004, 50076, 50079, 53003, 90094, 90095, 50105, 700016, 50020, 7000215, 7000222];
const UNKNOWN_TITLES = { it: 'Accesso non riuscito', en: 'Sign-in failed' };

function expectComplete(explanation: ReturnType<typeof explainSignInError>): void {
  expect(explanation.title.length).toBeGreaterThan(0);
  expect(explanation.explanation.length).toBeGreaterThan(0);
  expect(explanation.nextSteps.length).toBeGreaterThan(0);
}

describe('explainSignInError', () => {
  for (const locale of LOCALES) {
    it.each(ENTRA_ERRORS)(`has a specific ${locale} text for error %s`, (error) => {
      const explanation = explainSignInError({ error }, locale, links);
      expectComplete(explanation);
      expect(explanation.title).not.toBe(UNKNOWN_TITLES[locale]);
    });

    it.each(AADSTS_CODES)(`has a specific ${locale} text for AADSTS%i`, (aadsts) => {
      const explanation = explainSignInError({ error: 'invalid_request', aadsts }, locale, links);
      expectComplete(explanation);
      expect(explanation.title).toBe(AADSTS_MESSAGES[aadsts]?.[locale].title);
    });
  }

  it('writes Italian and English differently for every listed code', () => {
    for (const error of ENTRA_ERRORS) {
      expect(explainSignInError({ error }, 'it', links).explanation).not.toBe(
        explainSignInError({ error }, 'en', links).explanation,
      );
    }
    for (const aadsts of AADSTS_CODES) {
      expect(explainSignInError({ error: 'x', aadsts }, 'it', links).explanation).not.toBe(
        explainSignInError({ error: 'x', aadsts }, 'en', links).explanation,
      );
    }
  });

  it('offers the admin consent link for consent required (AADSTS65001)', () => {
    expect(explainSignInError({ error: 'invalid_client', aadsts: 65001 }, 'it', links).action).toEqual({
      label: 'Apri la pagina di consenso amministratore',
      href: links.adminConsentUrl,
    });
  });

  it('offers the admin consent link for admin consent required (AADSTS90094)', () => {
    expect(explainSignInError({ error: 'access_denied', aadsts: 90094 }, 'en', links).action?.href).toBe(
      links.adminConsentUrl,
    );
  });

  it('offers a retry link for MFA (AADSTS50076)', () => {
    expect(explainSignInError({ error: 'interaction_required', aadsts: 50076 }, 'en', links).action).toEqual({
      label: 'Try connecting the mailbox again',
      href: links.retryUrl,
    });
  });

  it('omits the retry button when there is no retry URL', () => {
    expect(
      explainSignInError({ error: 'server_error' }, 'it', { adminConsentUrl: links.adminConsentUrl }).action,
    ).toBeUndefined();
  });

  it('explains a cancelled sign-in (access_denied + cancel) as cancelled', () => {
    expect(explainSignInError({ error: 'access_denied', errorSubcode: 'cancel' }, 'it', links).title).toBe(
      'Accesso annullato',
    );
  });

  it('falls back to the OAuth error word for an unknown AADSTS code', () => {
    expect(explainSignInError({ error: 'consent_required', aadsts: 12345 }, 'en', links).title).toBe(
      'Consent required',
    );
  });

  it('uses a generic text for an unknown error word, without echoing it', () => {
    const explanation = explainSignInError({ error: 'weird_error' }, 'it', links);
    expect(explanation.title).toBe(UNKNOWN_TITLES.it);
    expect(JSON.stringify(explanation)).not.toContain('weird_error');
  });

  it('does not treat inherited object properties as error words', () => {
    expect(explainSignInError({ error: 'constructor' }, 'en', links).title).toBe(UNKNOWN_TITLES.en);
  });
});

describe('explainConnectFailure', () => {
  const codes: ConnectFailureCode[] = [
    'cookie_missing',
    'cookie_expired',
    'cookie_invalid',
    'state_mismatch',
    'duplicated_parameter',
    'id_token_nonce_mismatch',
    'id_token_tenant_not_allowed',
  ];

  it('groups missing and expired cookies as an expired session', () => {
    expect([connectFailureFor('cookie_missing'), connectFailureFor('cookie_expired')]).toEqual([
      'session_expired',
      'session_expired',
    ]);
  });

  it('groups tampering, state mismatch, bad query and bad id token as an invalid callback', () => {
    expect(
      ['cookie_invalid', 'state_mismatch', 'invalid_utf8', 'id_token_issuer_mismatch'].map((code) =>
        connectFailureFor(code as ConnectFailureCode),
      ),
    ).toEqual(['invalid_callback', 'invalid_callback', 'invalid_callback', 'invalid_callback']);
  });

  for (const locale of LOCALES) {
    it.each(codes)(`has a ${locale} text with a retry link for %s`, (code) => {
      const explanation = explainConnectFailure(code, locale, links);
      expectComplete(explanation);
      expect(explanation.action?.href).toBe(links.retryUrl);
    });
  }
});

describe('result texts', () => {
  it('says "Casella collegata" in Italian and names the mailbox', () => {
    expect(connectedText('it', 'mario@contoso.com')).toEqual({
      title: 'Casella collegata',
      explanation: expect.stringContaining('mario@contoso.com') as unknown,
    });
  });

  it('says "Mailbox connected" in English', () => {
    expect(connectedText('en', 'mario@contoso.com').title).toBe('Mailbox connected');
  });

  it('has granted and refused admin consent texts in both languages', () => {
    const titles = LOCALES.flatMap((locale) => [
      adminConsentText(locale, true).title,
      adminConsentText(locale, false).title,
    ]);
    expect(new Set(titles).size).toBe(4);
  });
});
