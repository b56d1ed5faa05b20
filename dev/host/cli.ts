// `npm run host`: the local host alone on PORT (default 7071, like `func start`), with settings from
// the environment over local.settings.json "Values". Options: --function-key=<key> (or the environment
// variable LOCAL_HOST_FUNCTION_KEY, which keeps the key out of the process list) to require keys,
// --app-root=<dir> to serve another built app (a directory with package.json and host.json),
// --local-cloud to start the local Microsoft cloud and Azurite (dev/cloud) and serve against them.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { localCloudLines } from '../cloud/describe.js';
import { startLocalCloud } from '../cloud/index.js';
import { freePort } from '../freePort.js';
import { startLocalHost } from './server.js';
import { serveUntilStopped } from './startupFailure.js';

const { values: flags } = parseArgs({
  options: { 'function-key': { type: 'string' }, 'app-root': { type: 'string' }, 'local-cloud': { type: 'boolean' } },
});
const appRoot = resolve(flags['app-root'] ?? join(import.meta.dirname, '..', '..'));
const port = Number(process.env.PORT ?? 7071);
const FUNCTION_KEY_VARIABLE = 'LOCAL_HOST_FUNCTION_KEY';

function localSettingsValues(): Record<string, string> {
  const file = join(appRoot, 'local.settings.json');
  if (!existsSync(file)) return {};
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  return Object.fromEntries(
    Object.entries(parsed.Values ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * --local-cloud: the emulators and Azurite run in this process; the host runs as a child process because
 * it must trust the local CA, which Node reads only at start (NODE_EXTRA_CA_CERTS). The cloud's settings
 * win over the environment and local.settings.json for the names they set.
 */
async function serveWithLocalCloud(): Promise<void> {
  const hostPort = port === 0 ? await freePort() : port;
  const local = await startLocalCloud({
    azurite: true,
    seedKeyVault: true,
    publicBaseUrl: `http://localhost:${hostPort}`,
  });
  console.log(['Started for the host: the local Microsoft cloud and Azurite', ...localCloudLines(local)].join('\n'));
  const args = process.argv.slice(2).filter((argument) => argument !== '--local-cloud');
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cli.ts'), ...args], {
    env: { ...process.env, ...local.settings, PORT: String(hostPort), NODE_EXTRA_CA_CERTS: local.caBundlePath },
    stdio: 'inherit',
  });
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    void local.stop().then(() => process.exit(code));
  };
  child.once('exit', (code) => stop(code ?? 0));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
}

if (flags['local-cloud']) {
  await serveWithLocalCloud();
} else {
  // The environment wins over local.settings.json, as with `func start`. The function key is the host's,
  // not an app setting: read from the environment, it stays out of `ps` and out of the app's settings.
  const { [FUNCTION_KEY_VARIABLE]: keyFromEnvironment, ...environment } = process.env;
  const settings = { ...localSettingsValues(), ...environment } as Record<string, string>;
  const functionKey = flags['function-key'] ?? keyFromEnvironment;
  await serveUntilStopped(
    () => startLocalHost({ port, appRoot, env: settings, ...(functionKey ? { functionKey } : {}) }),
    (host) => {
      console.log(`keyrelay local host listening on ${host.url}`);
      for (const { metadata } of host.registrations) console.log(`  ${metadata.name}`);
    },
  );
}
