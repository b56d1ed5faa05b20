// `npm run setup` (also azd's postprovision hook): finds or creates the app registration and puts its
// client secret straight into Key Vault. Thin: parse flags -> runSetup -> print, in one language
// (--locale, else ALERT_LOCALE). Never prints a secret.
import { ConfigError } from '../shared/errors.js';
import { processSettings } from '../shared/config.js';
import type { Locale } from '../shared/presentation/locale.js';
import { DEFAULT_TIME_ZONE, isTimeZone } from '../shared/presentation/time.js';
import { createFederatedSetupDependencies, createSetupDependencies } from '../shared/runtime/admin.js';
import { settingProblemIn } from '../shared/settingProblems.js';
import { runFederatedSetup } from '../shared/services/setup/federatedSetup.js';
import { SetupFailure } from '../shared/services/setup/setupFailure.js';
import { renderSetupFailure, renderSetupMessage } from '../shared/services/setup/setupMessages.js';
import { runSetup, type SetupStep } from '../shared/services/setup/setupService.js';
import { loadSetupSettings } from '../shared/services/setup/setupSettings.js';
import {
  helpText,
  localeFlag,
  parseArguments,
  runLocale,
  stringFlag,
  UsageError,
  usageErrorText,
} from './arguments.js';
import { SETUP_TEXT } from './cliMessages.js';
import { SETUP_OPTIONS, SETUP_USAGES } from './options.js';

function printStep(locale: Locale, timeZone: string, step: SetupStep): void {
  const text = renderSetupMessage(locale, step, timeZone);
  if (step.status === 'planned') console.log(`→ ${SETUP_TEXT[locale].planned}: ${text}`);
  else if (step.status === 'skipped') console.log(`- ${text}`);
  else console.log(`✓ ${text}`);
}

async function main(argv: readonly string[]): Promise<number> {
  const source = processSettings();
  let locale = runLocale(argv, source.ALERT_LOCALE);
  try {
    const flags = parseArguments(argv, SETUP_OPTIONS);
    const localeOverride = localeFlag(flags.locale);
    if (localeOverride) locale = localeOverride;
    if (flags.help) {
      console.log(helpText(locale, SETUP_USAGES, SETUP_OPTIONS));
      return 0;
    }
    const months = stringFlag(flags['secret-months']) ?? '24';
    if (!/^\d{1,2}$/.test(months) || Number(months) < 1 || Number(months) > 24)
      throw new UsageError('bad_secret_months');
    const identityClientId = stringFlag(flags['identity-client-id']);
    const identityObjectId = stringFlag(flags['identity-object-id']);
    const settings = loadSetupSettings(source, {
      locale,
      ...(identityClientId !== undefined && { identityClientId }),
      ...(identityObjectId !== undefined && { identityObjectId }),
    });
    const configuredZone = source.ALERT_TIME_ZONE?.trim() ?? '';
    const timeZone = isTimeZone(configuredZone) ? configuredZone : DEFAULT_TIME_ZONE;
    const dryRun = flags['dry-run'] === true;
    const heading = SETUP_TEXT[locale];
    console.log(`${heading.title}${dryRun ? heading.dryRun : ''}`);
    console.log(
      `✓ ${heading.settings}: KEY_VAULT_URL=${settings.keyVaultUrl}, PUBLIC_BASE_URL=${settings.publicBaseUrl}, AZURE_TENANT_ID=${settings.azureTenantId}`,
    );
    const print = (step: SetupStep) => printStep(locale, timeZone, step);
    try {
      const appName = stringFlag(flags['app-name']) ?? 'keyrelay';
      const outcome =
        flags.federated === true
          ? await runFederatedSetup(
              createFederatedSetupDependencies(settings),
              { settings, appName, dryRun, removeSecret: flags['remove-secret'] === true },
              print,
            )
          : await runSetup(
              createSetupDependencies(settings),
              { settings, appName, dryRun, secretLifetimeMonths: Number(months) },
              print,
            );
      console.log(`\n${heading.next}`);
      outcome.nextSteps.forEach((message, index) =>
        console.log(`  ${index + 1}. ${renderSetupMessage(locale, message, timeZone)}`),
      );
      return 0;
    } catch (error) {
      if (!(error instanceof SetupFailure)) throw error;
      const { problem, fix } = renderSetupFailure(locale, error.code, { vault: settings.keyVaultUrl, ...error.params });
      console.error(`✗ ${problem}\n  ${heading.fix}: ${fix}`);
      return 1;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${usageErrorText(locale, error)}\n${helpText(locale, SETUP_USAGES, SETUP_OPTIONS)}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(`✗ ${SETUP_TEXT[locale].invalidSettings}`);
      for (const { setting, problem } of error.problems)
        console.error(`  - ${setting}: ${settingProblemIn(locale, problem)}`);
      return 1;
    }
    // Never a stack trace or an SDK message (it may echo a request): the class name is enough to report.
    console.error(`✗ ${SETUP_TEXT[locale].failed(error instanceof Error ? error.name : 'unknown')}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
