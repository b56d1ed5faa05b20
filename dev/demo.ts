// `npm run demo`: starts the local host on the built app with the example settings of
// local.settings.sample.json and prints what a newcomer can open. It grows with the local cloud.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalHost } from './host/server.js';
import { serveUntilStopped } from './host/startupFailure.js';

const repositoryRoot = join(import.meta.dirname, '..');
const sample = JSON.parse(readFileSync(join(repositoryRoot, 'local.settings.sample.json'), 'utf8')) as {
  Values: Record<string, string>;
};

await serveUntilStopped(
  () => startLocalHost({ port: Number(process.env.PORT ?? 7071), env: sample.Values }),
  (host) =>
    console.log(`
keyrelay demo — local host on ${host.url} (settings: local.settings.sample.json)

  Liveness:        curl -s ${host.url}/api/health
  Functions:       ${host.registrations.map(({ metadata }) => metadata.name).join(', ')}

Press Ctrl+C to stop.
`),
);
