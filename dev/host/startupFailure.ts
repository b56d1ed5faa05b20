import type { LocalHost } from './server.js';

/** Where a newcomer gets settings that work on this machine, printed under any settings problem. */
export const WORKING_SETTINGS_HINT = [
  'To get a working set of settings on this machine:',
  '  npm run demo                     everything local (emulators, Azurite, this host, the ActNow simulator): prints one URL',
  '  npm run host -- --local-cloud    this host, with the local Microsoft cloud and Azurite started for it',
  '  npm run cloud                    the local cloud alone: paste the lines it prints into a shell, then npm run host there',
  'Against Azure: the Function App\'s settings (docs/deploy.md) in local.settings.json "Values", with `az login`.',
].join('\n');

/**
 * The one message to print when the app cannot start. A ConfigError already lists every bad setting;
 * a stack trace would only bury it. The bundle has its own copy of the class, so match on its name.
 */
export function describeStartupFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'ConfigError') return `${error.message}\n\n${WORKING_SETTINGS_HINT}`;
  return `keyrelay cannot start: ${error instanceof Error ? error.message : String(error)}`;
}

/** Starts a host for a command-line tool: announces it, stops on Ctrl+C, or exits 1 with one message. */
export async function serveUntilStopped(
  start: () => Promise<LocalHost>,
  announce: (host: LocalHost) => void,
): Promise<void> {
  try {
    const host = await start();
    announce(host);
    const stop = () => void host.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(describeStartupFailure(error));
    process.exit(1);
  }
}
