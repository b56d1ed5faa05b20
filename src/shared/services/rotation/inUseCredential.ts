// Which of the app's passwords keyrelay authenticates with (DESIGN §6): the one the Key Vault secret's
// `keyId` tag names; for a secret stored by hand (no tag), the one whose Graph `hint` (first three
// characters of the secret) matches. An ambiguous hint never names a password: nothing may be removed
// on a guess.
export interface HintedPassword {
  keyId: string;
  hint: string | null;
  endDateTime: Date;
}

export type InUseCredential =
  /** Named by the Key Vault tag (or by a unique hint, and now tagged): may be removed after a rotation. */
  | { kind: 'known'; keyId: string; source: 'tag' | 'hint' }
  /** Several passwords share the hint: rotate before the earliest expires, but never remove any of them. */
  | { kind: 'ambiguous'; keyIds: string[]; earliest: HintedPassword }
  | { kind: 'unknown' };

const HINT_LENGTH = 3;

export function identifyInUseCredential(
  secret: { value: string; tags: Readonly<Record<string, string>> } | undefined,
  passwords: readonly HintedPassword[],
): InUseCredential {
  if (secret === undefined) return { kind: 'unknown' };
  const tagged = secret.tags.keyId;
  if (tagged !== undefined) {
    return passwords.some((password) => password.keyId === tagged)
      ? { kind: 'known', keyId: tagged, source: 'tag' }
      : { kind: 'unknown' };
  }
  const hint = secret.value.slice(0, HINT_LENGTH);
  const matches = passwords.filter((password) => hint.length === HINT_LENGTH && password.hint === hint);
  const [first, ...others] = matches;
  if (first === undefined) return { kind: 'unknown' };
  if (others.length === 0) return { kind: 'known', keyId: first.keyId, source: 'hint' };
  const earliest = matches.reduce((a, b) => (b.endDateTime.getTime() < a.endDateTime.getTime() ? b : a));
  return { kind: 'ambiguous', keyIds: matches.map((password) => password.keyId), earliest };
}
