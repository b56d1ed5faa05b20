// One language per run (issue 18): `npm run setup` and `npm run doctor` run as an admin would, in Italian
// (ALERT_LOCALE or --locale), print no English word: not in the help, a usage error, the settings
// problems (config.ts writes them in English for the host's log) or a missing Azure sign-in.
import { describe, expect, it } from 'vitest';
import { helpText } from '#src/cli/arguments.js';
import { DOCTOR_OPTIONS, DOCTOR_USAGES, SETUP_OPTIONS, SETUP_USAGES } from '#src/cli/options.js';
import { englishWordsIn } from '../../support/catalogues.js';
import { runCli, type CliRun } from './runCli.js';

const output = (run: CliRun): string => run.stdout + run.stderr;

/** Help lines name commands and flags (`npm run setup`, `--remove-secret`): code, like a code span, not prose. */
const withoutCommandLines = (text: string): string =>
  text.replace(/npm run [a-z]+/g, ' ').replace(/--[a-z][a-z-]*/g, ' ');

/** Settings of a real tenant whose admin has not signed in: the endpoints are never reached. */
const TENANT = {
  KEY_VAULT_URL: 'https://kv-keyrelay-test.vault.azure.net',
  AZURE_TENANT_ID: '6e0ed0a1-8c3c-4e1a-9d55-27a1c1a1f001',
  PUBLIC_BASE_URL: 'https://func-keyrelay-test.azurewebsites.net',
};

// Each case spawns the CLI (tsx + the Azure SDKs): seconds each, more on a busy machine.
describe('an Italian run of the admin tools', { timeout: 90_000 }, () => {
  it('setup --help lists every option in Italian, exactly as the option table says', async () => {
    const run = await runCli('setup', { ALERT_LOCALE: 'it' }, ['--help']);

    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(helpText('it', SETUP_USAGES, SETUP_OPTIONS));
    expect(englishWordsIn(withoutCommandLines(output(run)))).toEqual([]);
  });

  it('doctor --help in English when --locale en says so, whatever ALERT_LOCALE is', async () => {
    const run = await runCli('doctor', { ALERT_LOCALE: 'it' }, ['--locale', 'en', '--help']);

    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(helpText('en', DOCTOR_USAGES, DOCTOR_OPTIONS));
  });

  it('a mistyped option is named in Italian, with the help, and exits 2', async () => {
    const run = await runCli('setup', { ALERT_LOCALE: 'it' }, ['--dryrun']);

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('opzione sconosciuta: --dryrun');
    expect(run.stderr).toContain('  --dry-run');
    expect(englishWordsIn(withoutCommandLines(output(run)))).toEqual([]);
  });

  it('setup lists missing and invalid settings in Italian', async () => {
    const run = await runCli('setup', { ALERT_LOCALE: 'it', KEY_VAULT_URL: 'not a url' });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('impostazioni mancanti o non valide:');
    expect(run.stderr).toContain('  - KEY_VAULT_URL: serve un URL assoluto https://');
    expect(run.stderr).toContain('  - AZURE_TENANT_ID: mancante; serve');
    expect(englishWordsIn(output(run))).toEqual([]);
  });

  it('doctor lists invalid settings in Italian, with one count in words', async () => {
    const run = await runCli('doctor', { ALERT_LOCALE: 'it' }, []);

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('✗ impostazione KEY_VAULT_URL: mancante; serve un URL assoluto https://');
    expect(run.stdout).toMatch(/\n\d+ problemi da risolvere\.\n/);
    expect(run.stdout).not.toContain('problema/i');
    expect(englishWordsIn(output(run))).toEqual([]);
  });

  it('setup without any Azure sign-in says, in Italian, to sign in with az login', async () => {
    const run = await runCli('setup', { ...TENANT, ALERT_LOCALE: 'it' }, ['--dry-run'], { withoutAzureLogin: true });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      "✗ nessun accesso Azure trovato: DefaultAzureCredential ha provato variabili d'ambiente",
    );
    expect(run.stderr).toContain('Soluzione: Accedi con `az login`');
    expect(englishWordsIn(output(run))).toEqual([]);
  });
});
