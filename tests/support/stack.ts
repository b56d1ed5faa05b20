// The test harness: the local Microsoft cloud + Azurite with Key Vault seeded, an in-process App on
// the same settings, and (on demand) the local host running the build in dist/ as a child process.
import { ClientSecretCredential } from '@azure/identity';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig, type Config } from '#src/shared/config.js';
import type { Clock } from '#src/shared/domain/clock.js';
import { createApp, type App, type AppOverrides } from '#src/shared/runtime/app.js';
import type { Core } from '#src/shared/runtime/core.js';
import { startLocalCloud, type LocalCloudOptions, type StartedLocalCloud } from '../../dev/cloud/index.js';
import { freePort } from '../../dev/freePort.js';

const repoRoot = join(import.meta.dirname, '..', '..');

export const PRODUCT_RETURN_URL = 'https://app.actnow.example/settings/mail';

export interface TestStack {
  local: StartedLocalCloud;
  /** App settings (DESIGN §4) + the identity environment, as the host receives them. */
  settings: Record<string, string>;
  config: Config;
  /** The stack's own App (composition root), on the emulators' identity and the test's clock. */
  app: App;
  /** `app.core`. */
  core: Core;
  /** What `app` was built with: spread it into createApp's overrides for an App of a test's own. */
  overrides: AppOverrides;
  /** Port reserved for the local host: PUBLIC_BASE_URL and the registered redirect URI point at it. */
  hostPort: number;
  close(): Promise<void>;
}

export interface TestStackOptions {
  settings?: Record<string, string>;
  clock?: Clock;
  cloud?: Omit<LocalCloudOptions, 'azurite' | 'seedKeyVault' | 'publicBaseUrl'>;
  /** Store the app's client secret in Key Vault (default true; `federated` runs without one). */
  seedClientSecret?: boolean;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const hostPort = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${hostPort}`;
  const local = await startLocalCloud({
    ...options.cloud,
    azurite: true,
    seedKeyVault: options.seedClientSecret ?? true,
    publicBaseUrl,
  });
  const settings: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(local.settings).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    ),
    PUBLIC_BASE_URL: publicBaseUrl,
    ALLOWED_RETURN_URLS: PRODUCT_RETURN_URL,
    ALERT_RECIPIENTS: 'it-admin@contoso.example',
    ALERT_SENDER: 'alerts@contoso.example',
    ...options.settings,
  };
  const config = loadConfig(settings);
  const azureCredential = new ClientSecretCredential(
    settings.AZURE_TENANT_ID!,
    settings.AZURE_CLIENT_ID!,
    settings.AZURE_CLIENT_SECRET!,
    {
      authorityHost: settings.AZURE_AUTHORITY_HOST!,
      disableInstanceDiscovery: true,
    },
  );
  const overrides: AppOverrides = { azureCredential, ...(options.clock ? { clock: options.clock } : {}) };
  const app = createApp(config, overrides);
  return { local, settings, config, app, core: app.core, overrides, hostPort, close: () => local.stop() };
}

export interface TestHost {
  url: string;
  /** Every line the host printed (stdout and stderr), for leak checks. */
  logs: string[];
  close(): Promise<void>;
}

/** Runs the local host (`dev/host/cli.ts`) on the build in dist/ (or `appRoot`'s) with the stack's settings. */
export async function startTestHost(
  stack: TestStack,
  options: { functionKey?: string; env?: Record<string, string>; appRoot?: string } = {},
): Promise<TestHost> {
  const args = [
    '--import',
    'tsx',
    join(repoRoot, 'dev/host/cli.ts'),
    ...(options.appRoot ? [`--app-root=${options.appRoot}`] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...stack.settings,
      ...options.env,
      PORT: String(stack.hostPort),
      ...(options.functionKey ? { LOCAL_HOST_FUNCTION_KEY: options.functionKey } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = `http://127.0.0.1:${stack.hostPort}`;
  await new Promise<void>((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) logs.push(line);
        if (line.includes('listening on')) resolve();
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('exit', (code) => reject(new Error(`local host exited with ${code}:\n${logs.join('\n')}`)));
  });
  return { url, logs, close: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
