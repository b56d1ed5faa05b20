// Runs one of the admin CLIs (src/cli/*.ts) as a child process through tsx, exactly as `npm run setup`
// / `npm run doctor` would, with the given settings as its whole keyrelay environment. The child
// inherits NODE_EXTRA_CA_CERTS (the test CA bundle written by the global setup).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** Settings a developer machine may carry that must not leak into the CLI under test. */
const KEYRELAY_VARIABLES =
  /^(KEY_VAULT_URL|OAUTH_|AZURE_|PUBLIC_BASE_URL|ALLOWED_RETURN_URLS|GRAPH_ENDPOINT|MONITOR_SCHEDULE|ALERT_|ROTATION_|AzureWebJobsStorage)/;

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Where DefaultAzureCredential finds a sign-in besides AZURE_*: managed-identity endpoints of a CI host. */
const IDENTITY_VARIABLES = /^(IDENTITY_|MSI_|IMDS_|AZURE_)/;

export interface CliOptions {
  /**
   * A machine with no Azure sign-in at all: no AZURE_* or managed-identity variables, an empty PATH (no
   * `az`, `azd` or `pwsh` to ask) and an empty home (no cached logins). The child is node itself.
   */
  withoutAzureLogin?: boolean;
}

export function runCli(
  cli: 'setup' | 'doctor',
  env: Record<string, string>,
  args: string[] = [],
  options: CliOptions = {},
): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !KEYRELAY_VARIABLES.test(name) && !(options.withoutAzureLogin && IDENTITY_VARIABLES.test(name)),
    ),
  );
  const empty = options.withoutAzureLogin ? mkdtempSync(join(tmpdir(), 'keyrelay-no-login-')) : undefined;
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', `${cli}.ts`), ...args], {
    cwd: repoRoot,
    env: { ...inherited, ...(empty !== undefined && { PATH: empty, HOME: empty }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({
        exitCode: code ?? -1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
  });
}
