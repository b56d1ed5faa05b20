// A tiny `--flag value` / `--flag=value` parser for the admin command-line tools: unknown flags are an
// error, so a typo never silently runs a different setup.
import { LOCALES, type Locale } from '../shared/presentation/locale.js';

export type FlagKind = 'boolean' | 'string';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArguments<const K extends string>(argv: readonly string[], flags: Readonly<Record<K, FlagKind>>): Partial<Record<K, string | true>> {
  const parsed: Partial<Record<K, string | true>> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const match = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(argument);
    if (!match) throw new UsageError(`unexpected argument: ${argument}`);
    const name = match[1] as K;
    const kind = flags[name] as FlagKind | undefined;
    if (kind === undefined) throw new UsageError(`unknown option: --${match[1]}`);
    if (kind === 'boolean') {
      if (match[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      parsed[name] = true;
      continue;
    }
    const value = match[2] ?? argv[++index];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    parsed[name] = value;
  }
  return parsed;
}

export function localeFlag(value: string | true | undefined): Locale | undefined {
  if (value === undefined || value === true) return undefined;
  if (!(LOCALES as readonly string[]).includes(value)) throw new UsageError(`--locale must be one of: ${LOCALES.join(', ')}`);
  return value as Locale;
}

export function stringFlag(value: string | true | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
