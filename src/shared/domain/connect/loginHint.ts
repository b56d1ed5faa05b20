// `loginHint` pre-fills the Microsoft account picker. It travels to Entra in the authorize URL and back
// inside the auth cookie, so only a plain user principal name is accepted.

export const MAX_LOGIN_HINT_LENGTH = 256;

export type LoginHintRejection = 'empty' | 'too_long' | 'forbidden_characters' | 'not_a_user_principal_name';

export type LoginHintValidation = { ok: true; loginHint: string } | { ok: false; reason: LoginHintRejection };

// Control, format and separator characters, whitespace and the characters that matter in HTML or URLs.
const FORBIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Z}\s<>"'`\\]/u;

// local@domain.tld: the characters Entra allows before @ (at most 64), DNS labels after it.
const USER_PRINCIPAL_NAME =
  /^[A-Za-z0-9!#$%&*+/=?^_{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function validateLoginHint(raw: string): LoginHintValidation {
  if (raw === '') return { ok: false, reason: 'empty' };
  if (raw.length > MAX_LOGIN_HINT_LENGTH) return { ok: false, reason: 'too_long' };
  if (FORBIDDEN_CHARACTERS.test(raw)) return { ok: false, reason: 'forbidden_characters' };
  if (!USER_PRINCIPAL_NAME.test(raw)) return { ok: false, reason: 'not_a_user_principal_name' };
  return { ok: true, loginHint: raw };
}
