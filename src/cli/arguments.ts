// A tiny `--flag value` / `--flag=value` parser for the admin command-line tools: unknown flags are an
// error, so a typo never silently runs a different setup. Each tool declares its options once (kind,
// value and a one-line description per language): the parser and `--help` both read that table.
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale } from '../shared/presentation/locale.js';

export type FlagKind = 'boolean' | 'string';

export interface OptionSpec {
  kind: FlagKind;
  /** How `--help` shows the value of a string option, e.g. `<guid>`. */
  value?: string;
  describe: Readonly<Record<Locale, string>>;
}

export type OptionTable<K extends string = string> = Readonly<Record<K, OptionSpec>>;

export type UsageErrorCode =
  'unexpected_argument' | 'unknown_option' | 'takes_no_value' | 'needs_value' | 'bad_locale' | 'bad_secret_months';

/** The command line is wrong: rendered in the run's language with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';

  constructor(
    readonly code: UsageErrorCode,
    readonly params: Readonly<Record<string, string>> = {},
  ) {
    super(`usage: ${code}`);
  }
}

export const USAGE_ERRORS: Record<Locale, Record<UsageErrorCode, (p: Readonly<Record<string, string>>) => string>> = {
  it: {
    unexpected_argument: (p) => `argomento inatteso: ${p.argument}`,
    unknown_option: (p) => `opzione sconosciuta: --${p.flag}`,
    takes_no_value: (p) => `--${p.flag} non accetta un valore`,
    needs_value: (p) => `--${p.flag} vuole un valore`,
    bad_locale: () => `--locale vuole uno di: ${LOCALES.join(', ')}`,
    bad_secret_months: () => '`--secret-months` vuole un numero intero da 1 a 24',
  },
  en: {
    unexpected_argument: (p) => `unexpected argument: ${p.argument}`,
    unknown_option: (p) => `unknown option: --${p.flag}`,
    takes_no_value: (p) => `--${p.flag} takes no value`,
    needs_value: (p) => `--${p.flag} needs a value`,
    bad_locale: () => `--locale must be one of: ${LOCALES.join(', ')}`,
    bad_secret_months: () => '--secret-months must be a whole number from 1 to 24',
  },
};

export function usageErrorText(locale: Locale, error: UsageError): string {
  return USAGE_ERRORS[locale][error.code](error.params);
}

export function parseArguments<const K extends string>(
  argv: readonly string[],
  options: OptionTable<K>,
): Partial<Record<K, string | true>> {
  const parsed: Partial<Record<K, string | true>> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(argument);
    if (!match) throw new UsageError('unexpected_argument', { argument });
    const name = match[1] as K;
    const kind = (options[name] as OptionSpec | undefined)?.kind;
    if (kind === undefined) throw new UsageError('unknown_option', { flag: name });
    if (kind === 'boolean') {
      if (match[2] !== undefined) throw new UsageError('takes_no_value', { flag: name });
      parsed[name] = true;
      continue;
    }
    const value = match[2] ?? argv[++index];
    if (value === undefined || value.startsWith('--')) throw new UsageError('needs_value', { flag: name });
    parsed[name] = value;
  }
  return parsed;
}

/**
 * The language of a run, known before the flags are valid: `--locale` if given and valid, else
 * ALERT_LOCALE, else Italian. Lets even a usage error speak the run's language.
 */
export function runLocale(argv: readonly string[], configured: string | undefined): Locale {
  for (let index = 0; index < argv.length; index++) {
    const match = /^--locale(?:=(.*))?$/.exec(argv[index] ?? '');
    const value = match ? (match[1] ?? argv[index + 1]) : undefined;
    if (value !== undefined && isLocale(value)) return value;
  }
  const setting = configured?.trim() ?? '';
  return isLocale(setting) ? setting : DEFAULT_LOCALE;
}

export function localeFlag(value: string | true | undefined): Locale | undefined {
  if (value === undefined || value === true) return undefined;
  if (!isLocale(value)) throw new UsageError('bad_locale');
  return value;
}

export function stringFlag(value: string | true | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export const HELP_HEADINGS: Record<Locale, { usage: string; options: string }> = {
  it: { usage: 'Uso', options: 'Opzioni' },
  en: { usage: 'Usage', options: 'Options' },
};

/** `--help`: the usage lines, then every option of the table on one line each. */
export function helpText(
  locale: Locale,
  usages: Readonly<Record<Locale, readonly string[]>>,
  options: OptionTable,
): string {
  const heading = HELP_HEADINGS[locale];
  const labels = Object.entries(options).map(
    ([name, spec]) => [`--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`, spec.describe[locale]] as const,
  );
  const width = Math.max(...labels.map(([label]) => label.length));
  const prefix = `${heading.usage}: `;
  return [
    ...usages[locale].map((usage, index) => `${index === 0 ? prefix : ' '.repeat(prefix.length)}${usage}`),
    '',
    `${heading.options}:`,
    ...labels.map(([label, describe]) => `  ${label.padEnd(width)}  ${describe}`),
  ].join('\n');
}
