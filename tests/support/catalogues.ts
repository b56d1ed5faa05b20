// Checks shared by every message-catalogue test (issue 18): each key exists in both languages, and
// Italian output carries no English words (code spans, URLs, setting names and product names excepted).
import { LOCALES, type Locale } from '#src/shared/presentation/locale.js';

/** Key paths (`a.b.c`) of a catalogue value; functions and strings are leaves. */
export function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => keyPaths(child, prefix === '' ? key : `${prefix}.${key}`));
}

/** For a `Record<Locale, T>` catalogue: the key paths one language has and the other lacks. */
export function missingKeys(catalogue: Readonly<Record<Locale, unknown>>): Record<Locale, string[]> {
  const paths = Object.fromEntries(LOCALES.map((locale) => [locale, new Set(keyPaths(catalogue[locale]))])) as Record<
    Locale,
    Set<string>
  >;
  return {
    it: [...paths.en].filter((path) => !paths.it.has(path)),
    en: [...paths.it].filter((path) => !paths.en.has(path)),
  };
}

/** English words that never belong in an Italian sentence (none of them is also an Italian word). */
export const ENGLISH_WORDS = [
  'the',
  'and',
  'with',
  'will',
  'expires',
  'expired',
  'expiring',
  'missing',
  'expected',
  'switched',
  'renewed',
  'failed',
  'failing',
  'error',
  'please',
  'run',
  'runs',
  'sent',
  'alerts',
  'secret',
  'secrets',
  'mailbox',
  'mailboxes',
  'days',
  'today',
  'tomorrow',
  'never',
  'none',
  'unknown',
  'problem',
  'problems',
  'settings',
  'setting',
  'found',
  'check',
  'checked',
  'invalid',
  'unexpected',
  'sign',
  'should',
  'must',
  'cannot',
  'removed',
  'remove',
  'yes',
  'needed',
  'waiting',
  'verified',
  'staged',
  'added',
  'idle',
  'blocked',
  'running',
  'finished',
  'skipped',
  'carried',
  'refreshed',
  'reconnect',
  'connected',
] as const;

const CODE_SPAN = /`[^`]*`/g;
const URL_TEXT = /\bhttps?:\/\/\S+/g;
const SETTING_NAME = /\b[A-Z][A-Z0-9_]{2,}\b/g;
const ADDRESS = /\S+@\S+/g;
const HTML_TAG = /<[^>]*>/g;
// A mail's <code> renders a `code span`; «…» quotes a name the admin gave (a secret's label), not keyrelay's words.
const CODE_ELEMENT = /<code[^>]*>[^<]*<\/code>/g;
const ADMIN_LABEL = /«[^»]*»/g;

/** The English words found in text meant to be Italian, outside code, admins' labels, URLs, addresses and setting names. */
export function englishWordsIn(italian: string): string[] {
  const prose = italian
    .replace(CODE_ELEMENT, ' ')
    .replace(ADMIN_LABEL, ' ')
    .replace(HTML_TAG, ' ')
    .replace(CODE_SPAN, ' ')
    .replace(URL_TEXT, ' ')
    .replace(ADDRESS, ' ')
    .replace(SETTING_NAME, ' ')
    .toLowerCase();
  return ENGLISH_WORDS.filter((word) => new RegExp(`(^|[^\\p{L}])${word}($|[^\\p{L}])`, 'u').test(prose));
}
