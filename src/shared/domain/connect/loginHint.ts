// One rule for every mailbox address keyrelay reads (a `loginHint`, an id token's `preferred_username`,
// the mailbox of a token request or of the mailboxes API): NFKC first, so that look-alikes such as the
// Kelvin sign (U+212A, which lower-cases to `k`) become the ASCII letter they imitate, then the plain
// user-principal-name shape in ASCII, then lower case. Only the result is compared, stored or sent on.

export const MAX_LOGIN_HINT_LENGTH = 256;

export type LoginHintRejection = 'empty' | 'too_long' | 'forbidden_characters' | 'not_a_user_principal_name';

export type LoginHintValidation = { ok: true; loginHint: string } | { ok: false; reason: LoginHintRejection };

export type MailboxAddressValidation = { ok: true; address: string } | { ok: false; reason: LoginHintRejection };

// Control, format and separator characters, whitespace and the characters that matter in HTML or URLs.
const FORBIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Z}\s<>"'`\\]/u;

// local@domain.tld: the characters Entra allows before @ (at most 64), DNS labels after it. ASCII only.
const USER_PRINCIPAL_NAME =
  /^[A-Za-z0-9!#$%&*+/=?^_{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** The address as Entra should see it (NFKC, case kept), or why it is refused. */
export function validateLoginHint(raw: string): LoginHintValidation {
  if (raw === '') return { ok: false, reason: 'empty' };
  if (raw.length > MAX_LOGIN_HINT_LENGTH) return { ok: false, reason: 'too_long' };
  const normalised = raw.normalize('NFKC');
  if (normalised.length > MAX_LOGIN_HINT_LENGTH) return { ok: false, reason: 'too_long' };
  if (FORBIDDEN_CHARACTERS.test(normalised)) return { ok: false, reason: 'forbidden_characters' };
  if (!USER_PRINCIPAL_NAME.test(normalised)) return { ok: false, reason: 'not_a_user_principal_name' };
  return { ok: true, loginHint: normalised };
}

/** The canonical form keyrelay compares and stores: the login-hint rule, lower-cased. */
export function canonicalMailboxAddress(raw: string): MailboxAddressValidation {
  const checked = validateLoginHint(raw);
  return checked.ok ? { ok: true, address: checked.loginHint.toLowerCase() } : checked;
}
