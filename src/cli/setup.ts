// `npm run setup` (also azd's postprovision hook): finds or creates the app registration and puts its
// client secret straight into Key Vault. Thin: parse flags -> runSetup -> print. Never prints a secret.
import { ConfigError } from '../shared/errors.js';
import { processSettings } from '../shared/config.js';
import type { Locale } from '../shared/presentation/locale.js';
import { createFederatedSetupDependencies, createSetupDependencies } from '../shared/runtime/admin.js';
import { runFederatedSetup } from '../shared/services/setup/federatedSetup.js';
import { SetupFailure } from '../shared/services/setup/setupFailure.js';
import { renderSetupFailure, renderSetupMessage } from '../shared/services/setup/setupMessages.js';
import { runSetup, type SetupStep } from '../shared/services/setup/setupService.js';
import { loadSetupSettings } from '../shared/services/setup/setupSettings.js';
import { localeFlag, parseArguments, stringFlag, UsageError } from './arguments.js';

const USAGE = `Usage: npm run setup -- [--dry-run] [--locale it|en] [--app-name <name>]
                       [--identity-client-id <guid>] [--identity-object-id <guid>] [--secret-months <1-24>]
       npm run setup -- --federated [--remove-secret] [--dry-run] [--locale it|en] [--identity-object-id <guid>]`;

const FLAGS = {
  'dry-run': 'boolean',
  locale: 'string',
  'app-name': 'string',
  'identity-client-id': 'string',
  'identity-object-id': 'string',
  'secret-months': 'string',
  federated: 'boolean',
  'remove-secret': 'boolean',
  help: 'boolean',
} as const;

const HEADINGS = {
  it: { title: 'keyrelay setup', dryRun: ' (prova: nessuna modifica)', planned: 'da fare', next: 'Prossimi passi:', settings: 'impostazioni', fix: 'Soluzione' },
  en: { title: 'keyrelay setup', dryRun: ' (dry run: no changes)', planned: 'would', next: 'Next steps:', settings: 'settings', fix: 'Fix' },
} as const;

function printStep(locale: Locale, step: SetupStep): void {
  const text = renderSetupMessage(locale, step);
  if (step.status === 'planned') console.log(`→ ${HEADINGS[locale].planned}: ${text}`);
  else if (step.status === 'skipped') console.log(`- ${text}`);
  else console.log(`✓ ${text}`);
}

async function main(argv: readonly string[]): Promise<number> {
  let locale: Locale = 'it';
  try {
    const flags = parseArguments(argv, FLAGS);
    if (flags.help) {
      console.log(USAGE);
      return 0;
    }
    const months = stringFlag(flags['secret-months']) ?? '24';
    if (!/^\d{1,2}$/.test(months) || Number(months) < 1 || Number(months) > 24) throw new UsageError('--secret-months must be a whole number from 1 to 24');
    const localeOverride = localeFlag(flags.locale);
    if (localeOverride) locale = localeOverride;
    const identityClientId = stringFlag(flags['identity-client-id']);
    const identityObjectId = stringFlag(flags['identity-object-id']);
    const settings = loadSetupSettings(processSettings(), {
      ...(localeOverride && { locale: localeOverride }),
      ...(identityClientId !== undefined && { identityClientId }),
      ...(identityObjectId !== undefined && { identityObjectId }),
    });
    locale = settings.locale;
    const dryRun = flags['dry-run'] === true;
    const heading = HEADINGS[locale];
    console.log(`${heading.title}${dryRun ? heading.dryRun : ''}`);
    console.log(`✓ ${heading.settings}: KEY_VAULT_URL=${settings.keyVaultUrl}, PUBLIC_BASE_URL=${settings.publicBaseUrl}, AZURE_TENANT_ID=${settings.azureTenantId}`);
    try {
      const appName = stringFlag(flags['app-name']) ?? 'keyrelay';
      const outcome =
        flags.federated === true
          ? await runFederatedSetup(
              createFederatedSetupDependencies(settings),
              { settings, appName, dryRun, removeSecret: flags['remove-secret'] === true },
              (step) => printStep(locale, step),
            )
          : await runSetup(createSetupDependencies(settings), { settings, appName, dryRun, secretLifetimeMonths: Number(months) }, (step) =>
              printStep(locale, step),
            );
      console.log(`\n${heading.next}`);
      outcome.nextSteps.forEach((message, index) => console.log(`  ${index + 1}. ${renderSetupMessage(locale, message)}`));
      return 0;
    } catch (error) {
      if (!(error instanceof SetupFailure)) throw error;
      const { problem, fix } = renderSetupFailure(locale, error.code, { vault: settings.keyVaultUrl, ...error.params });
      console.error(`✗ ${problem}\n  ${heading.fix}: ${fix}`);
      return 1;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(`✗ ${HEADINGS[locale].settings}:`);
      for (const { setting, problem } of error.problems) console.error(`  - ${setting}: ${problem}`);
      return 1;
    }
    // Never a stack trace or an SDK message (it may echo a request): the class name is enough to report.
    console.error(`✗ setup failed unexpectedly (${error instanceof Error ? error.name : 'unknown error'})`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
