import { build } from 'esbuild';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Builds fixture-app into a fresh directory laid out like a deployed app (package.json main glob + host.json). */
export async function buildFixtureApp(): Promise<string> {
  const appRoot = await mkdtemp(join(tmpdir(), 'keyrelay-host-fixture-'));
  await build({
    entryPoints: [join(import.meta.dirname, 'fixture-app', 'functions.ts')],
    outfile: join(appRoot, 'dist', 'functions', 'fixture.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['@azure/functions-core'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  await writeFile(join(appRoot, 'package.json'), JSON.stringify({ type: 'module', main: 'dist/functions/*.js' }));
  await writeFile(
    join(appRoot, 'host.json'),
    JSON.stringify({ version: '2.0', extensions: { http: { routePrefix: 'api' } } }),
  );
  return appRoot;
}
