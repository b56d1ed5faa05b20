// Azurite (Storage emulator) as a child process on free ports, in memory. FACTS.md: its package main is
// a VS Code extension, so the bin runs as a process; with port 0 it prints the ports it got.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ACCOUNT_NAME = 'devstoreaccount1';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface AzuriteHandle {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  accountName: string;
  /** For AzureWebJobsStorage: explicit endpoints, because the ports are not the well-known ones. */
  connectionString: string;
  stop(): Promise<void>;
}

type ServiceKind = 'Blob' | 'Queue' | 'Table';

function azuritePackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('azurite/package.json'));
}

/**
 * Azurite's published well-known development key, read from its own sources at run time (the value
 * is public, but keeping it out of this repo keeps secret scanners quiet and honest).
 */
async function wellKnownAccountKey(packageDir: string): Promise<string> {
  const constants = await readFile(join(packageDir, 'dist/src/blob/utils/constants.js'), 'utf8');
  const match = /EMULATOR_ACCOUNT_KEY_STR\s*=\s*"([^"]+)"/.exec(constants);
  if (!match?.[1]) throw new Error('could not read the development account key from the azurite package');
  return match[1];
}

export async function startAzurite(): Promise<AzuriteHandle> {
  const packageDir = azuritePackageDir();
  const accountKey = await wellKnownAccountKey(packageDir);
  const workDir = await mkdtemp(join(tmpdir(), 'keyrelay-azurite-'));
  const child = spawn(
    process.execPath,
    [
      join(packageDir, 'dist/src/azurite.js'),
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--blobHost',
      '127.0.0.1',
      '--queueHost',
      '127.0.0.1',
      '--tableHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--queuePort',
      '0',
      '--tablePort',
      '0',
    ],
    // In memory: nothing is persisted; the temp cwd catches any stray file Azurite may still write.
    { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let endpoints: Record<ServiceKind, string>;
  try {
    endpoints = await waitForEndpoints(child);
  } catch (error) {
    await stopChild(child);
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const blobEndpoint = `${endpoints.Blob}/${ACCOUNT_NAME}`;
  const queueEndpoint = `${endpoints.Queue}/${ACCOUNT_NAME}`;
  const tableEndpoint = `${endpoints.Table}/${ACCOUNT_NAME}`;
  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT_NAME}`,
    `AccountKey=${accountKey}`,
    `BlobEndpoint=${blobEndpoint}`,
    `QueueEndpoint=${queueEndpoint}`,
    `TableEndpoint=${tableEndpoint}`,
  ].join(';');
  let stopped: Promise<void> | undefined;
  return {
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    accountName: ACCOUNT_NAME,
    connectionString,
    stop() {
      stopped ??= stopChild(child).then(() => rm(workDir, { recursive: true, force: true }));
      return stopped;
    },
  };
}

function waitForEndpoints(child: ChildProcess): Promise<Record<ServiceKind, string>> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<ServiceKind, string>> = {};
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`azurite did not report its ports within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      for (const match of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/[^\s]+)/g,
      )) {
        found[match[1] as ServiceKind] = match[2]!;
      }
      if (found.Blob && found.Queue && found.Table) {
        cleanup();
        resolve({ Blob: found.Blob, Queue: found.Queue, Table: found.Table });
      }
    };
    const onExit = (code: number | null): void =>
      fail(new Error(`azurite exited (code ${code ?? 'signal'}) before listening:\n${output}`));
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining so a chatty child never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    }
    function fail(error: Error): void {
      cleanup();
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const forceKill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(forceKill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
