import { describe, expect, it } from 'vitest';
import { canonicalMailboxAddress, validateLoginHint } from '#src/shared/domain/connect/loginHint.js';

function rejectionOf(raw: string): string | undefined {
  const result = validateLoginHint(raw);
  return result.ok ? undefined : result.reason;
}

describe('validateLoginHint', () => {
  it('accepts a user principal name', () => {
    expect(validateLoginHint('mario.rossi@contoso.onmicrosoft.com')).toEqual({
      ok: true,
      loginHint: 'mario.rossi@contoso.onmicrosoft.com',
    });
  });

  it('accepts plus addressing and underscores', () => {
    expect(validateLoginHint('ufficio+crm_01@actnow.it').ok).toBe(true);
  });

  it('rejects an empty value', () => expect(rejectionOf('')).toBe('empty'));
  it('rejects more than 256 characters', () => expect(rejectionOf(`mario@${'a'.repeat(250)}.it`)).toBe('too_long'));
  it('rejects a control character', () =>
    expect(rejectionOf('mario@contoso.com\r\nX: y')).toBe('forbidden_characters'));
  it('rejects whitespace', () => expect(rejectionOf('mario rossi@contoso.com')).toBe('forbidden_characters'));
  it('rejects HTML characters', () => expect(rejectionOf('<script>@contoso.com')).toBe('forbidden_characters'));
  it('rejects a value without @', () => expect(rejectionOf('mario.rossi')).toBe('not_a_user_principal_name'));
  it('rejects a domain without a dot', () => expect(rejectionOf('mario@localhost')).toBe('not_a_user_principal_name'));
  it('rejects two @', () => expect(rejectionOf('a@b@contoso.com')).toBe('not_a_user_principal_name'));
  it('rejects more than 64 characters before @', () =>
    expect(rejectionOf(`${'a'.repeat(65)}@contoso.com`)).toBe('not_a_user_principal_name'));
  it('rejects URL syntax in the domain', () =>
    expect(rejectionOf('mario@contoso.com/evil')).toBe('not_a_user_principal_name'));
});

describe('canonicalMailboxAddress', () => {
  it('folds a look-alike Kelvin sign into the ASCII letter it imitates, so it meets the real address', () => {
    expect(canonicalMailboxAddress('mar\u212Aeting@fabrikam.onmicrosoft.com')).toEqual({
      ok: true,
      address: 'marketing@fabrikam.onmicrosoft.com',
    });
  });

  it('lower-cases after NFKC (fullwidth letters become ASCII)', () => {
    expect(canonicalMailboxAddress('\uFF2D\uFF41rio@Contoso.COM')).toEqual({ ok: true, address: 'mario@contoso.com' });
  });

  it('refuses letters that stay non-ASCII after NFKC (Cyrillic а)', () => {
    expect(canonicalMailboxAddress('m\u0430rio@contoso.com')).toEqual({
      ok: false,
      reason: 'not_a_user_principal_name',
    });
  });

  it('refuses characters that NFKC turns into markup', () => {
    expect(canonicalMailboxAddress('\uFF1Cb\uFF1E@contoso.com')).toEqual({ ok: false, reason: 'forbidden_characters' });
  });
});
