// `npm run doctor`: checks keyrelay's settings and every dependency with keyrelay's own Azure identity,
// and prints each finding with its fix in one language (--locale, else ALERT_LOCALE). Exit code 1 when
// something is wrong, 2 for a wrong command line.
import { ConfigError } from '../shared/errors.js';
import { loadConfig, processSettings } from '../shared/config.js';
import type { Locale } from '../shared/presentation/locale.js';
import { DEFAULT_TIME_ZONE, isTimeZone } from '../shared/presentation/time.js';
import { createApp } from '../shared/runtime/app.js';
import { loggerFor } from '../shared/logger.js';
import { runDoctor } from '../shared/services/doctor/doctorService.js';
import { renderFinding } from '../shared/services/doctor/doctorMessages.js';
import { hasProblems, settingsFindings, type Finding } from '../shared/services/doctor/findings.js';
import { helpText, localeFlag, parseArguments, runLocale, UsageError, usageErrorText } from './arguments.js';
import { DOCTOR_TEXT } from './cliMessages.js';
import { DOCTOR_OPTIONS, DOCTOR_USAGES } from './options.js';

// The report is stdout; the services' log lines (e.g. the audited token of the SMTP check) go to stderr.
const STDERR_LOGGER = loggerFor({ info: console.error, warn: console.error, error: console.error });

const SYMBOLS = { ok: '✓', info: 'i', warning: '!', problem: '✗' } as const;

function print(locale: Locale, timeZone: string, findings: readonly Finding[]): void {
  const text = DOCTOR_TEXT[locale];
  for (const item of findings) {
    const rendered = renderFinding(locale, item, timeZone);
    console.log(`${SYMBOLS[rendered.severity]} ${rendered.title}`);
    if (rendered.fix !== undefined) console.log(`    ${text.fix}: ${rendered.fix}`);
  }
  const problems = findings.filter((item) => item.severity === 'problem').length;
  console.log(`\n${problems === 0 ? text.healthy : text.problems(problems)}`);
}

async function main(argv: readonly string[]): Promise<number> {
  const settings = processSettings();
  let locale = runLocale(argv, settings.ALERT_LOCALE);
  try {
    const flags = parseArguments(argv, DOCTOR_OPTIONS);
    locale = localeFlag(flags.locale) ?? locale;
    if (flags.help) {
      console.log(helpText(locale, DOCTOR_USAGES, DOCTOR_OPTIONS));
      return 0;
    }
    const configuredZone = settings.ALERT_TIME_ZONE?.trim() ?? '';
    let timeZone = isTimeZone(configuredZone) ? configuredZone : DEFAULT_TIME_ZONE;
    let findings: Finding[];
    try {
      const config = loadConfig(settings);
      timeZone = config.alertTimeZone;
      findings = [
        ...settingsFindings([]),
        ...(await runDoctor(createApp(config, { logger: STDERR_LOGGER }).doctor(), config)),
      ];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      findings = settingsFindings(error.problems);
    }
    console.log('keyrelay doctor');
    print(locale, timeZone, findings);
    return hasProblems(findings) ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${usageErrorText(locale, error)}\n${helpText(locale, DOCTOR_USAGES, DOCTOR_OPTIONS)}`);
      return 2;
    }
    console.error(`✗ ${DOCTOR_TEXT[locale].failed(error instanceof Error ? error.name : 'unknown')}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
