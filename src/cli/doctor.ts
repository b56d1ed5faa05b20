// `npm run doctor`: checks keyrelay's settings and every dependency with keyrelay's own Azure identity,
// and prints each finding with its fix in ALERT_LOCALE. Exit code 1 when something is wrong.
import { ConfigError } from '../shared/errors.js';
import { loadConfig, processSettings } from '../shared/config.js';
import { LOCALES, type Locale } from '../shared/presentation/locale.js';
import { createApp } from '../shared/runtime/app.js';
import { runDoctor } from '../shared/services/doctor/doctorService.js';
import { renderFinding } from '../shared/services/doctor/doctorMessages.js';
import { hasProblems, settingsFindings, type Finding } from '../shared/services/doctor/findings.js';
import { localeFlag, parseArguments, UsageError } from './arguments.js';

const USAGE = 'Usage: npm run doctor -- [--locale it|en]';

const SYMBOLS = { ok: '✓', info: 'i', warning: '!', problem: '✗' } as const;

const SUMMARY = {
  it: { healthy: 'Tutto a posto.', problems: (count: number) => `${count} problema/i da risolvere.`, fix: 'Soluzione' },
  en: { healthy: 'All good.', problems: (count: number) => `${count} problem(s) to fix.`, fix: 'Fix' },
} as const;

function print(locale: Locale, findings: readonly Finding[]): void {
  for (const item of findings) {
    const rendered = renderFinding(locale, item);
    console.log(`${SYMBOLS[rendered.severity]} ${rendered.title}`);
    if (rendered.fix !== undefined) console.log(`    ${SUMMARY[locale].fix}: ${rendered.fix}`);
  }
  const problems = findings.filter((item) => item.severity === 'problem').length;
  console.log(`\n${problems === 0 ? SUMMARY[locale].healthy : SUMMARY[locale].problems(problems)}`);
}

async function main(argv: readonly string[]): Promise<number> {
  let locale: Locale = 'it';
  try {
    const flags = parseArguments(argv, { locale: 'string', help: 'boolean' } as const);
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const settings = processSettings();
    const configuredLocale = settings.ALERT_LOCALE?.trim();
    locale = localeFlag(flags.locale) ?? ((LOCALES as readonly string[]).includes(configuredLocale ?? '') ? (configuredLocale as Locale) : 'it');
    let findings: Finding[];
    try {
      const config = loadConfig(settings);
      findings = [...settingsFindings([]), ...(await runDoctor(createApp(config).doctor(), config))];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      findings = settingsFindings(error.problems);
    }
    console.log('keyrelay doctor');
    print(locale, findings);
    return hasProblems(findings) ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    console.error(`✗ doctor failed unexpectedly (${error instanceof Error ? error.name : 'unknown error'})`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
