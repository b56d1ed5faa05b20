// Every message the admin tools print (setup, doctor, their headings, usage errors, help, setting
// problems) exists in both languages, and each Italian template, filled in, holds no English word.
import { describe, expect, it } from 'vitest';
import { HELP_HEADINGS, USAGE_ERRORS } from '#src/cli/arguments.js';
import { DOCTOR_TEXT, SETUP_TEXT } from '#src/cli/cliMessages.js';
import { DOCTOR_OPTIONS, SETUP_OPTIONS } from '#src/cli/options.js';
import { DOCTOR_FINDINGS } from '#src/shared/services/doctor/doctorMessages.js';
import {
  IDENTITY_KINDS,
  SECRET_REASONS,
  SETUP_FAILURES,
  SETUP_STEPS,
} from '#src/shared/services/setup/setupMessages.js';
import { SETTING_PROBLEMS } from '#src/shared/settingProblems.js';
import { englishWordsIn, missingKeys } from '../../support/catalogues.js';

/** Parameters as the services pass them (ids, names, counts); also a number where a template takes one. */
const SAMPLE = new Proxy(
  {},
  {
    get: (_target, name) =>
      name === Symbol.toPrimitive
        ? () => 3
        : name === 'count' || name === 'daysLeft' || name === 'daysAgo' || name === 'status'
          ? 3
          : name === 'tried'
            ? 'environment,managed-identity,azure-cli'
            : 'x1',
  },
);

/** Every leaf of a catalogue in one language, functions called with sample parameters. */
function leaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value === 'function') return [String((value as (p: unknown) => unknown)(SAMPLE))];
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [];
}

const optionDescriptions = (options: Readonly<Record<string, { describe: Record<'it' | 'en', string> }>>) => ({
  it: Object.fromEntries(Object.entries(options).map(([name, spec]) => [name, spec.describe.it])),
  en: Object.fromEntries(Object.entries(options).map(([name, spec]) => [name, spec.describe.en])),
});

const CATALOGUES = {
  'setup steps': SETUP_STEPS,
  'setup failures': SETUP_FAILURES,
  'secret reasons': SECRET_REASONS,
  'identity kinds': IDENTITY_KINDS,
  'doctor findings': DOCTOR_FINDINGS,
  'doctor headings': DOCTOR_TEXT,
  'setup headings': SETUP_TEXT,
  'usage errors': USAGE_ERRORS,
  'help headings': HELP_HEADINGS,
  'setup options': optionDescriptions(SETUP_OPTIONS),
  'doctor options': optionDescriptions(DOCTOR_OPTIONS),
  'setting problems': SETTING_PROBLEMS,
} as const;

describe.each(Object.entries(CATALOGUES))('the %s catalogue', (_name, catalogue) => {
  it('has every key in both languages', () => {
    expect(missingKeys(catalogue)).toEqual({ it: [], en: [] });
  });

  it("writes plurals as words, never 'problema/i' or 'problem(s)'", () => {
    const texts = [...leaves(catalogue.it), ...leaves(catalogue.en)];
    expect(texts.filter((text) => /\p{L}\/[aei]\b|\p{L}\((e?s)\)/u.test(text))).toEqual([]);
  });

  it('holds no English word in any Italian text', () => {
    const found = leaves(catalogue.it).flatMap((text) => englishWordsIn(text).map((word) => `${word}: ${text}`));
    expect(found).toEqual([]);
  });
});
