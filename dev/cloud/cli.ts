// `npm run cloud`: starts the local Microsoft cloud (with Azurite) and prints the endpoints and the
// settings to give keyrelay, as lines to paste into another shell before `npm run host`. Runs until
// Ctrl+C. The CA stays in LOCAL_CLOUD_CA_DIR (or the OS temp dir), so one NODE_EXTRA_CA_CERTS keeps
// working across runs.
import { localCloudLines, settingsExports } from './describe.js';
import { startLocalCloud } from './index.js';

const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://localhost:${process.env.PORT ?? '7071'}`;
const startedAt = performance.now();
const local = await startLocalCloud({ azurite: true, publicBaseUrl, seedKeyVault: true });
const elapsed = Math.round(performance.now() - startedAt);

const lines = [
  `Local Microsoft cloud up in ${elapsed} ms`,
  ...localCloudLines(local),
  '',
  'In another shell, paste these lines, then run `npm run host` there (the CA is read at process start):',
  ...settingsExports(local).map((line) => `  ${line}`),
  '',
  `The keyrelay app's client secret is stored in Key Vault as '${local.settings.OAUTH_CLIENT_SECRET_NAME}'.`,
  'Ctrl+C stops everything.',
];
console.log(lines.join('\n'));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void local.stop().then(() => process.exit(0));
  });
}
