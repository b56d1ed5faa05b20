// `--help` and the parser read one option table per tool: this proves the help lists exactly the options
// the parser accepts, one line each, in both languages, so the two cannot drift.
import { describe, expect, it } from 'vitest';
import {
  helpText,
  parseArguments,
  runLocale,
  UsageError,
  usageErrorText,
  type OptionTable,
} from '#src/cli/arguments.js';
import { DOCTOR_OPTIONS, DOCTOR_USAGES, SETUP_OPTIONS, SETUP_USAGES } from '#src/cli/options.js';
import { LOCALES } from '#src/shared/presentation/locale.js';

const TOOLS = [
  ['setup', SETUP_OPTIONS, SETUP_USAGES],
  ['doctor', DOCTOR_OPTIONS, DOCTOR_USAGES],
] as const;

/** The flags an option line of the help names (`  --name ...`). */
function helpFlags(help: string): string[] {
  return help.split('\n').flatMap((line) => /^ {2}--([a-z][a-z-]*)\b/.exec(line)?.[1] ?? []);
}

/** Every flag the parser accepts, found by asking it (a value for string options). */
function acceptedFlags(options: OptionTable): string[] {
  return Object.keys(options).filter((name) => {
    try {
      parseArguments([`--${name}`, 'value'].slice(0, options[name]?.kind === 'string' ? 2 : 1), options);
      return true;
    } catch {
      return false;
    }
  });
}

describe.each(TOOLS)('npm run %s -- --help', (_tool, options, usages) => {
  it.each(LOCALES)('in %s lists every option the parser accepts on one line each, and no other', (locale) => {
    const help = helpText(locale, usages, options);
    const flags = helpFlags(help);
    expect(flags).toEqual(acceptedFlags(options));
    expect(new Set(flags).size).toBe(flags.length);
    for (const flag of flags) {
      const line = help.split('\n').find((candidate) => candidate.startsWith(`  --${flag}`))!;
      expect(line.slice(`  --${flag}`.length).trim().length, `--${flag} has a description`).toBeGreaterThan(5);
    }
  });

  it('refuses an option that is not in the table', () => {
    expect(() => parseArguments(['--no-such-flag'], options as OptionTable)).toThrow(UsageError);
  });
});

describe('usage errors and the run language', () => {
  it('say what is wrong in the run language', () => {
    const error = new UsageError('unknown_option', { flag: 'dryrun' });
    expect(usageErrorText('it', error)).toBe('opzione sconosciuta: --dryrun');
    expect(usageErrorText('en', error)).toBe('unknown option: --dryrun');
  });

  it('takes the language from --locale, else ALERT_LOCALE, else Italian', () => {
    expect(runLocale(['--locale', 'en'], 'it')).toBe('en');
    expect(runLocale(['--locale=it'], 'en')).toBe('it');
    expect(runLocale(['--dry-run'], 'en')).toBe('en');
    expect(runLocale([], 'de')).toBe('it');
    expect(runLocale([], undefined)).toBe('it');
  });
});
