import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const repositoryRoot = join(import.meta.dirname, '..', '..', '..');
const cliPath = join(repositoryRoot, 'dev', 'host', 'cli.ts');
const cloudCliPath = join(repositoryRoot, 'dev', 'cloud', 'cli.ts');

export interface HostProcess {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output contains `text`; rejects when the process exits first. */
  waitForOutput(text: string | RegExp): Promise<string>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Runs `dev/host/cli.ts` as `npm run host` does (minus the build), with exactly the given environment. */
export function spawnHost(args: string[], env: Record<string, string>): HostProcess {
  return spawnScript(cliPath, args, env);
}

/** Runs `dev/cloud/cli.ts` as `npm run cloud` does, with exactly the given environment. */
export function spawnCloud(env: Record<string, string>): HostProcess {
  return spawnScript(cloudCliPath, [], env);
}

function spawnScript(script: string, args: string[], env: Record<string, string>): HostProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForOutput = (text: string | RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match =
          typeof text === 'string' ? (output.includes(text) ? text : null) : (text.exec(output)?.[0] ?? null);
        if (match !== null) {
          listeners.delete(check);
          resolve(match);
        }
      };
      listeners.add(check);
      check();
      void exited.then((code) => {
        if (listeners.delete(check))
          reject(new Error(`host exited (${String(code)}) before printing ${String(text)}:\n${output}`));
      });
    });

  return {
    child,
    output: () => output,
    waitForOutput,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The base URL the host printed once it listens. */
export async function hostUrl(host: HostProcess): Promise<string> {
  const line = await host.waitForOutput(/listening on http:\/\/127\.0\.0\.1:\d+/);
  return line.replace('listening on ', '');
}
