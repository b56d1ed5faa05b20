// What `npm run cloud` and `npm run host -- --local-cloud` print about a started local cloud: where each
// stand-in listens, and the settings that point keyrelay at it, as shell lines a newcomer can paste.
import type { StartedLocalCloud } from './index.js';

/** One line per stand-in, with the addresses a developer opens or points a client at. */
export function localCloudLines(local: StartedLocalCloud): string[] {
  return [
    `  Entra ID     ${local.urls.entra}   (authority: ${local.urls.authority()})`,
    `  Graph        ${local.urls.graph}   (outbox: ${local.urls.graph}/outbox)`,
    `  Key Vault    ${local.urls.keyVault}`,
    `  SMTP         ${local.settings.SMTP_ENDPOINT}`,
    `  Control API  ${local.urls.control}   (GET /state, /requests, /outbox; POST /faults, /clock)`,
    `  Azurite      ${local.azurite?.tableEndpoint ?? 'off'}`,
  ];
}

const shellQuoted = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * `export NAME='value'` for the CA bundle and every setting: pasted into a shell, `npm run host` (or
 * doctor, setup) in that shell talks to this cloud. The values are the emulators' own, never Azure's.
 */
export function settingsExports(local: StartedLocalCloud): string[] {
  const settings = Object.entries(local.settings).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return [
    `export NODE_EXTRA_CA_CERTS=${shellQuoted(local.caBundlePath)}`,
    ...settings.map(([name, value]) => `export ${name}=${shellQuoted(value)}`),
  ];
}
