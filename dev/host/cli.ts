// `npm run host`: the local host alone on PORT (default 7071, like `func start`), with settings from
// the environment over local.settings.json "Values". Options: --function-key=<key> (or the environment
// variable LOCAL_HOST_FUNCTION_KEY, which keeps the key out of the process list) to require keys,
// --app-root=<dir> to serve another built app (a directory with package.json and host.json).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalHost } from './server.js';
import { serveUntilStopped } from './startupFailure.js';

const { values: flags } = parseArgs({ options: { 'function-key': { type: 'string' }, 'app-root': { type: 'string' } } });
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
