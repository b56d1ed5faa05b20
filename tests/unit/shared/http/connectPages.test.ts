import { describe, expect, it } from 'vitest';
import { callbackResult } from '#src/shared/http/connectPages.js';

describe('callbackResult for an admin-consent reply', () => {
  it.each([
    ['it', 'Risposta dalla pagina di consenso', /concesso/i],
    ['en', 'Answer from the consent page', /granted/i],
  ] as const)(
    'an admin-consent reply without a flow shows a neutral page (%s), claiming no grant',
    (locale, title, grantClaim) => {
      const result = callbackResult({ kind: 'adminConsent', refused: false, clearCookies: [] }, locale);
      expect(result.status).toBe(200);
      expect(result.body).toContain(title);
      expect(result.body).not.toMatch(grantClaim);
    },
  );

  it('an admin-consent refusal answers 400 with the refusal page', () => {
    const result = callbackResult({ kind: 'adminConsent', refused: true, clearCookies: [] }, 'en');
    expect(result.status).toBe(400);
    expect(result.body).toContain('Administrator consent not granted');
  });
});
