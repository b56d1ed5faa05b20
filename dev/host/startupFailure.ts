import type { LocalHost } from './server.js';

/**
 * The one message to print when the app cannot start. A ConfigError already lists every bad setting;
 * a stack trace would only bury it. The bundle has its own copy of the class, so match on its name.
 */
export function describeStartupFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'ConfigError') return error.message;
  return `keyrelay cannot start: ${error instanceof Error ? error.message : String(error)}`;
}

/** Starts a host for a command-line tool: announces it, stops on Ctrl+C, or exits 1 with one message. */
export async function serveUntilStopped(start: () => Promise<LocalHost>, announce: (host: LocalHost) => void): Promise<void> {
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
