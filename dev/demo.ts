// `npm run demo`: the whole product on one machine. Starts a local CA for this session, Azurite, the
// local Microsoft cloud (Entra ID, Graph, Key Vault), the built app on the local Functions host (a child
// process that trusts the session's CA) and the ActNow simulator, then prints ONE URL. Ctrl+C stops
// everything and removes every temporary file; all ports are picked free, so a second run just works.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTING_NAMES } from '#src/shared/config.js';
import { DEFAULT_LOCALE, isLocale, type Locale } from '#src/shared/presentation/locale.js';
import { DEFAULT_TIME_ZONE } from '#src/shared/presentation/time.js';
import { startLocalCloud, type StartedLocalCloud } from './cloud/index.js';
import { freePort } from './freePort.js';
import { createCloudControls } from './simulator/cloudControls.js';
import { createKeyrelayApi } from './simulator/keyrelayApi.js';
import { startSimulator, type SecretlessOutcome } from './simulator/server.js';

const repositoryRoot = join(import.meta.dirname, '..');
/** Demo tenant users (dev/cloud/seed.ts): the mailbox that sends alerts and the admin who receives them. */
const ALERT_SENDER = 'newsletter@contoso.onmicrosoft.com';
const ALERT_RECIPIENT = 'giulia.bianchi@contoso.onmicrosoft.com';
/** One zone for the host's mails and status page and for the simulator's times (DESIGN §4 ALERT_TIME_ZONE). */
const TIME_ZONE = DEFAULT_TIME_ZONE;
const HOST_START_TIMEOUT_MS = 60_000;
const CHILD_STOP_TIMEOUT_MS = 5_000;

const progress = (line: string): void => console.log(`  ${line}`);

/** Cleanups run in reverse order of start, once; a resource started after Ctrl+C is cleaned at once. */
const cleanups: (() => Promise<void>)[] = [];
let stopping: Promise<void> | undefined;

async function onStop(cleanup: () => Promise<void>): Promise<void> {
  if (stopping) await cleanup();
  else cleanups.push(cleanup);
}

function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) =>
        console.error(`  stop: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  })();
  return stopping;
}

class StoppedDuringStartup extends Error {}

function checkNotStopping(): void {
  if (stopping) throw new StoppedDuringStartup();
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The app settings (DESIGN §4) the host gets: the local cloud's, Azurite, alerts to the demo admin. */
function hostSettings(
  local: StartedLocalCloud,
  hostUrl: string,
  simulatorUrl: string,
  alertLocale: Locale,
): Record<string, string> {
  // A setting left in the developer's shell or local.settings.json must not leak into the demo: blank means unset.
  const blanks = Object.fromEntries(SETTING_NAMES.map((name) => [name, '']));
  const cloudSettings = Object.fromEntries(
    Object.entries(local.settings).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  return {
    ...blanks,
    ...cloudSettings,
    PUBLIC_BASE_URL: hostUrl,
    ALLOWED_RETURN_URLS: simulatorUrl,
    ALERT_RECIPIENTS: ALERT_RECIPIENT,
    ALERT_SENDER,
    ALERT_LOCALE: alertLocale,
    ALERT_TIME_ZONE: TIME_ZONE,
  };
}

/** After start-up only the app's own log events (`[function] event …`) and failed invocations reach the demo console. */
function isWorthShowing(line: string): boolean {
  return line.startsWith('[') || line.includes('(Failed');
}

/** Runs dev/host/cli.ts on the build in dist/ and resolves once it listens; its log lines go to the console. */
async function startHost(
  settings: Record<string, string>,
  port: number,
  functionKey: string,
  caBundlePath: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repositoryRoot, 'dev/host/cli.ts')], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      ...settings,
      PORT: String(port),
      NODE_EXTRA_CA_CERTS: caBundlePath,
      LOCAL_HOST_FUNCTION_KEY: functionKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await onStop(() => stopChild(child));
  const output: string[] = [];
  let listening = false;
  const onLines = (chunk: Buffer): void => {
    for (const line of chunk
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)) {
      if (!listening) output.push(line);
      else if (isWorthShowing(line)) console.log(`  host │ ${line}`);
      if (line.includes('listening on')) listening = true;
    }
  };
  child.stdout?.on('data', onLines);
  child.stderr?.on('data', onLines);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`the local host did not start within ${HOST_START_TIMEOUT_MS / 1000} s:\n${output.join('\n')}`),
        ),
      HOST_START_TIMEOUT_MS,
    );
    const check = (): void => {
      if (!listening) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`the local host exited (${code ?? 'signal'}) while starting:\n${output.join('\n')}`));
    };
    child.stdout?.on('data', check);
    child.once('exit', onExit);
  });
  return child;
}

/**
 * `npm run setup -- --federated [args]` as its own process, with the host's settings and keyrelay's identity
 * as the Azure login (as inside Azure): the same use case an admin runs. Its step lines go to the console.
 */
function runFederatedSetup(
  settings: Record<string, string>,
  caBundlePath: string,
  args: readonly string[],
): Promise<number | null> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repositoryRoot, 'src/cli/setup.ts'), '--federated', '--locale', 'en', ...args],
    {
      cwd: repositoryRoot,
      env: { ...process.env, ...settings, NODE_EXTRA_CA_CERTS: caBundlePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const onLines = (chunk: Buffer): void => {
    for (const line of chunk
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0))
      console.log(`  setup │ ${line}`);
  };
  child.stdout?.on('data', onLines);
  child.stderr?.on('data', onLines);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/** `npm run demo -- --alert-locale en`: the admin's mails in English (ALERT_LOCALE); Italian by default. */
function alertLocaleFrom(args: readonly string[]): Locale {
  const index = args.indexOf('--alert-locale');
  if (index === -1) return DEFAULT_LOCALE;
  const value = args[index + 1] ?? '';
  if (!isLocale(value)) throw new Error(`--alert-locale takes it or en, not '${value}'`);
  return value;
}

async function main(): Promise<void> {
  const alertLocale = alertLocaleFrom(process.argv.slice(2));
  console.log('keyrelay demo — starting everything on this machine…');
  const workDir = await mkdtemp(join(tmpdir(), 'keyrelay-demo-'));
  await onStop(() => rm(workDir, { recursive: true, force: true }));

  const hostPort = await freePort();
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  progress('Local CA, Azurite and the local Microsoft cloud (Entra ID, Graph, Key Vault)…');
  const local = await startLocalCloud({
    caDir: join(workDir, 'ca'),
    azurite: true,
    seedKeyVault: true,
    publicBaseUrl: hostUrl,
  });
  await onStop(() => local.stop());
  checkNotStopping();
  // The CA certificate alone (no key), for anyone who wants their browser to trust the sign-in page.
  const caCertificatePath = join(workDir, 'local-ca.pem');
  await writeFile(caCertificatePath, local.ca.certPem);
  progress(`  ready; this session's CA certificate: ${caCertificatePath}`);

  const functionKey = randomBytes(24).toString('base64url');
  // The demo starts in the seed's world (OAUTH_CLIENT_CREDENTIAL=secret); "Go secretless" moves it on.
  let settings: Record<string, string> = {};
  let host: ChildProcess | undefined;
  let migrating = false;
  const goSecretless = async (): Promise<SecretlessOutcome> => {
    if (migrating) return { ok: false, detail: 'the migration is already running' };
    migrating = true;
    try {
      progress('Go secretless: npm run setup -- --federated (adds and verifies the federated credential)…');
      const added = await runFederatedSetup(settings, local.caBundlePath, []);
      if (added !== 0)
        return {
          ok: false,
          detail: `npm run setup -- --federated ended with ${added ?? 'a signal'}; see the demo console`,
        };
      progress('Go secretless: OAUTH_CLIENT_CREDENTIAL=federated, restarting keyrelay on the local host…');
      const federated = { ...settings, OAUTH_CLIENT_CREDENTIAL: 'federated' };
      if (host) await stopChild(host);
      host = await startHost(federated, hostPort, functionKey, local.caBundlePath);
      settings = federated;
      progress(
        'Go secretless: npm run setup -- --federated --remove-secret (the old secret leaves Graph and Key Vault)…',
      );
      const removed = await runFederatedSetup(settings, local.caBundlePath, ['--remove-secret']);
      if (removed !== 0)
        return {
          ok: false,
          detail: `npm run setup -- --federated --remove-secret ended with ${removed ?? 'a signal'}; see the demo console`,
        };
      progress('Go secretless: done');
      return { ok: true };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      migrating = false;
    }
  };
  const simulator = await startSimulator({
    goSecretless,
    keyrelay: createKeyrelayApi(hostUrl, functionKey, { endpoint: local.settings.SMTP_ENDPOINT, ca: local.ca.certPem }),
    cloud: createCloudControls(local),
    alertSender: ALERT_SENDER,
    timeZone: TIME_ZONE,
  });
  await onStop(() => simulator.close());
  checkNotStopping();

  progress('keyrelay on the local Functions host (the build in dist/)…');
  settings = { ...hostSettings(local, hostUrl, simulator.url, alertLocale), OAUTH_CLIENT_CREDENTIAL: 'secret' };
  host = await startHost(settings, hostPort, functionKey, local.caBundlePath);
  checkNotStopping();
  progress('  ready');

  console.log(`
keyrelay demo is running. Open the ActNow simulator:

  Simulator: ${simulator.url}/

Alerts go from ${ALERT_SENDER} to ${ALERT_RECIPIENT}. Press Ctrl+C to stop.
`);
}

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  console.log(`\n${signal}: stopping the demo…`);
  await stopAll();
  console.log('Demo stopped; temporary files removed.');
  process.exit(0);
}

// `on`, not `once`: a second Ctrl+C while stopping must not kill the demo half-way through its cleanup.
process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));

main().catch(async (error: unknown) => {
  if (error instanceof StoppedDuringStartup) return;
  console.error(`keyrelay demo could not start: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
});
