// The app the bench's local host serves: the deployable bundle (same esbuild options as dist/) plus the
// bench-only functions, built together so that they share one @azure/functions chunk and thus one
// programming model. It lives in a temporary directory: the deployed app never contains them.
import { build } from 'esbuild';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleOptions, repoRoot } from '../scripts/build.mjs';

export interface BenchApp {
  /** A directory with package.json (`main`: every entry) and host.json, for `dev/host/cli.ts --app-root`. */
  appRoot: string;
  remove(): void;
}

export async function buildBenchApp(): Promise<BenchApp> {
  const appRoot = mkdtempSync(join(tmpdir(), 'keyrelay-bench-app-'));
  const options = bundleOptions(appRoot);
  await build({
    ...options,
    entryPoints: { ...(options.entryPoints as Record<string, string>), benchEcho: join(repoRoot, 'bench/p3-echo.ts') },
    sourcemap: false,
  });
  writeFileSync(join(appRoot, 'package.json'), `${JSON.stringify({ type: 'module', main: '*.js' })}\n`);
  copyFileSync(join(repoRoot, 'host.json'), join(appRoot, 'host.json'));
  return { appRoot, remove: () => rmSync(appRoot, { recursive: true, force: true }) };
}
