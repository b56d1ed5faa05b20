// Docs match what a newcomer sees (issue 18): every command shown in a shell code block of README.md and
// docs/*.md is listed here with the test that runs it, and that test file really holds the command (or
// the request it makes). A command added to the docs without a test fails here. The few that need a real
// Azure subscription or an Exchange Online tenant are listed as such, with the reason, and nothing else is.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const SHELL_BLOCK = /^```(sh|bash|shell|console|powershell)\n([\s\S]*?)^```$/gm;

/** The commands of one markdown file: continuation lines joined, comments and blank lines dropped. */
function commandsIn(markdown: string): string[] {
  const commands: string[] = [];
  for (const [, , body = ''] of markdown.matchAll(SHELL_BLOCK)) {
    const joined = body.replace(/[\\`]\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line
        .replace(/(^|\s)#.*$/, '')
        .replace(/\s+/g, ' ')
        .trim();
      if (command !== '') commands.push(command);
    }
  }
  return commands;
}

/** A test that runs the command: its file, and what that file must contain to really run it. */
type RunBy = { test: string; holds: readonly string[] } | { notRunHere: string };

const AZURE = {
  notRunHere: 'needs an Azure subscription and tenant (azd / az): checked by hand at deployment, docs/deploy.md',
} as const;
const EXCHANGE = { notRunHere: 'needs an Exchange Online tenant and its PowerShell module' } as const;
const HOST_TEST = 'tests/integration/host/cli.test.ts';
const SETUP_TEST = 'tests/integration/setup/setup.test.ts';
const FEDERATED_TEST = 'tests/integration/setup/federatedSetup.test.ts';
const DOCTOR_TEST = 'tests/integration/doctor/doctor.test.ts';
// tests/e2e/demo.test.ts and screenshots.test.ts start the demo through this helper.
const DEMO_TEST = 'tests/e2e/demoProcess.ts';

const RUN_BY: Readonly<Record<string, RunBy>> = {
  // README: quick start, host, demo
  'npm ci && npm run demo': { test: DEMO_TEST, holds: ["spawn('npm', ['run', 'demo'"] },
  'npm ci': { test: DEMO_TEST, holds: ["spawn('npm', ['run', 'demo'"] },
  'npm run demo': { test: DEMO_TEST, holds: ["spawn('npm', ['run', 'demo'"] },
  'npm test': { notRunHere: 'it is the test run itself (typecheck, lint, build, vitest)' },
  'npm run bench': { notRunHere: 'the benchmark: about 10 minutes, run on demand; its parts are bench/*.ts' },
  'npm run host -- --local-cloud': { test: HOST_TEST, holds: ["spawnHost(['--local-cloud'"] },
  'curl -s localhost:7071/api/health': { test: HOST_TEST, holds: ['/api/health', "toEqual({ status: 'ok' })"] },
  'npm run cloud': { test: HOST_TEST, holds: ['spawnCloud(', 'export ('] },
  // README: the product's API, as the product calls it (local host, function key)
  'curl -s -X POST "https://<app>.azurewebsites.net/api/token" -H "x-functions-key: $KEYRELAY_FUNCTION_KEY" -H \'content-type: application/json\' -d \'{"mailbox":"newsletter@contoso.com","resource":"smtp"}\'':
    {
      test: 'tests/integration/token/tokenRoute.test.ts',
      holds: ["'x-functions-key'", '/api/token', "resource: 'smtp'"],
    },
  'curl -s "https://<app>.azurewebsites.net/api/mailboxes/newsletter@contoso.com" -H "x-functions-key: $KEYRELAY_FUNCTION_KEY"':
    {
      test: 'tests/integration/mailboxes/mailboxes.test.ts',
      holds: ['mailboxes/${encodeURIComponent(', 'x-functions-key'],
    },
  // README: deploy and setup
  'azd up': AZURE,
  'npm run setup': { test: SETUP_TEST, holds: ["runCli('setup', env)"] },
  'npm run setup -- --federated': { test: FEDERATED_TEST, holds: ["'--federated'"] },
  'npm run doctor': { test: DOCTOR_TEST, holds: ["runCli('doctor'"] },
  'npm run doctor -- --help': {
    test: 'tests/integration/setup/language.test.ts',
    holds: ["runCli('doctor'", "'--help'"],
  },
  'npm run setup -- --federated --dry-run': { test: FEDERATED_TEST, holds: ["'--federated'", "'--dry-run'"] },
  'azd env set OAUTH_CLIENT_CREDENTIAL federated && azd provision': AZURE,
  'npm run setup -- --federated --remove-secret': {
    test: FEDERATED_TEST,
    holds: ["'--federated'", "'--remove-secret'"],
  },
  // docs/deploy.md
  'azd auth login': AZURE,
  'azd env new keyrelay-prod': AZURE,
  'azd env set AZURE_LOCATION westeurope': AZURE,
  'azd env set ALERT_RECIPIENTS "it-admin@contoso.com"': AZURE,
  'azd env set ALERT_SENDER "keyrelay-alerts@contoso.com"': AZURE,
  'azd env set ALLOWED_RETURN_URLS "https://crm.contoso.com"': AZURE,
  'azd env set KEYRELAY_STATUS_ADMIN_GROUP_ID "<object id of the Entra group allowed to open /api/status>"': AZURE,
  "APP_ID=<keyrelay's OAUTH_CLIENT_ID>; HOST=<the Function App's host name>": AZURE,
  'az ad app update --id "$APP_ID" --web-redirect-uris "https://$HOST/api/oauth/callback" "https://$HOST/.auth/login/aad/callback" --enable-id-token-issuance true --set groupMembershipClaims=SecurityGroup':
    AZURE,
  'az bicep build --file infra/main.bicep --stdout > /dev/null': {
    notRunHere: 'needs the Azure CLI; tests/unit/infra checks the Bicep files as text',
  },
  'Connect-ExchangeOnline': EXCHANGE,
  "$clientId = '<AZURE_MANAGED_IDENTITY_CLIENT_ID>'": EXCHANGE,
  "$principalId = '<AZURE_MANAGED_IDENTITY_PRINCIPAL_ID>'": EXCHANGE,
  "$sender = 'keyrelay-alerts@contoso.com'": EXCHANGE,
  "New-ServicePrincipal -AppId $clientId -ObjectId $principalId -DisplayName 'keyrelay alerts'": EXCHANGE,
  "New-ManagementScope -Name 'keyrelay alert sender' -RecipientRestrictionFilter \"PrimarySmtpAddress -eq '$sender'\"":
    EXCHANGE,
  "New-ManagementRoleAssignment -Name 'keyrelay alerts Mail.Send' -App $principalId -Role 'Application Mail.Send' -CustomResourceScope 'keyrelay alert sender'":
    EXCHANGE,
  'Test-ServicePrincipalAuthorization -Identity $principalId -Resource $sender': EXCHANGE,
  "Test-ServicePrincipalAuthorization -Identity $principalId -Resource 'someone.else@contoso.com'": EXCHANGE,
};

function documentedCommands(): { file: string; command: string }[] {
  const files = [
    'README.md',
    ...readdirSync(join(repoRoot, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
  return files.flatMap((file) =>
    commandsIn(readFileSync(join(repoRoot, file), 'utf8')).map((command) => ({ file, command })),
  );
}

describe('commands shown in README.md and docs/*.md', () => {
  const documented = documentedCommands();

  it('finds the commands of the docs (the extraction works)', () => {
    expect(documented.map(({ command }) => command)).toContain('npm run host -- --local-cloud');
    expect(commandsIn('```sh\nnpm run a   # why\n# only a comment\nfoo \\\n  --bar\n```\n')).toEqual([
      'npm run a',
      'foo --bar',
    ]);
  });

  it.each(documented)('$file: `$command` is run by a named test (or named as needing a real tenant)', ({ command }) => {
    const runBy = RUN_BY[command];
    expect(runBy, `add \`${command}\` to RUN_BY with the test that runs it`).toBeDefined();
    if (runBy === undefined || 'notRunHere' in runBy) return;
    const source = readFileSync(join(repoRoot, runBy.test), 'utf8');
    for (const needle of runBy.holds) expect(source, `${runBy.test} runs \`${command}\``).toContain(needle);
  });

  it('lists no command the docs no longer show', () => {
    const shown = new Set(documented.map(({ command }) => command));
    expect(Object.keys(RUN_BY).filter((command) => !shown.has(command))).toEqual([]);
  });
});
