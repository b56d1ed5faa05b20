// `npm run cloud`: starts the local Microsoft cloud (with Azurite) and prints the endpoints and the
// settings to give keyrelay. Runs until Ctrl+C. The CA stays in LOCAL_CLOUD_CA_DIR (or the OS temp
// dir), so one NODE_EXTRA_CA_CERTS keeps working across runs.
import { startLocalCloud } from './index.js';

const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://localhost:${process.env.PORT ?? '7071'}`;
const startedAt = performance.now();
const local = await startLocalCloud({ azurite: true, publicBaseUrl, seedKeyVault: true });
const elapsed = Math.round(performance.now() - startedAt);

const lines = [
  `Local Microsoft cloud up in ${elapsed} ms`,
  `  Entra ID     ${local.urls.entra}   (authority: ${local.urls.authority()})`,
  `  Graph        ${local.urls.graph}   (outbox: ${local.urls.graph}/outbox)`,
  `  Key Vault    ${local.urls.keyVault}`,
  `  Control API  ${local.urls.control}   (GET /state, /requests, /outbox; POST /faults, /clock)`,
  `  Azurite      ${local.azurite?.tableEndpoint ?? 'off'}`,
  '',
  'Trust the local CA in every Node process that talks to it (read at process start):',
  `  export NODE_EXTRA_CA_CERTS=${local.caBundlePath}`,
  '',
  'Settings (environment or local.settings.json Values):',
  ...Object.entries(local.settings).map(([name, value]) => `  ${name}=${value}`),
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
