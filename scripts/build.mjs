// Builds the deployable artifact: dist/index.js (what package.json `main` names) registers every
// function of src/functions; the SDK-heavy services are split into chunks that a handler imports on
// first use, so starting the worker (and the health probe) never loads MSAL, Graph or Key Vault.
import { build } from 'esbuild';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export function functionEntryPoints() {
  const functionsDir = join(repoRoot, 'src/functions');
  return readdirSync(functionsDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(functionsDir, name));
}

const ENTRY = 'keyrelay:functions';

/** src/functions is the table of contents: the entry imports every file in it, nothing else. */
const functionsEntryPlugin = {
  name: 'keyrelay-functions-entry',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^keyrelay:functions$/ }, () => ({ path: ENTRY, namespace: 'keyrelay' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'keyrelay' }, () => ({
      contents: functionEntryPoints()
        .map((file) => `import ${JSON.stringify(file)};`)
        .join('\n'),
      resolveDir: repoRoot,
      loader: 'js',
    }));
  },
};

/** The esbuild options of the deployable bundle (the benchmark builds the same thing elsewhere). */
export function bundleOptions(outdir) {
  return {
    entryPoints: { index: ENTRY },
    plugins: [functionsEntryPlugin],
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // The worker provides this module at run time (FACTS.md); bundling it would hide the real host.
    external: ['@azure/functions-core'],
    // Bundled CommonJS dependencies call require(); ESM output needs a real one.
    banner: {
      js: "import { createRequire as __keyrelayCreateRequire } from 'node:module'; const require = __keyrelayCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = join(repoRoot, 'dist');
  // FACTS.md: the host loads every file matching `main`; a stale file in dist/ would be loaded too, so
  // build into a fresh sibling and swap it in: a host already running from dist/ (`npm run demo` rebuilds
  // while other test files run) never sees a missing or half-written build.
  const staging = `${outdir}.next-${process.pid}`;
  const retired = `${outdir}.old-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await build(bundleOptions(staging));
  if (existsSync(outdir)) renameSync(outdir, retired);
  renameSync(staging, outdir);
  rmSync(retired, { recursive: true, force: true });
  console.log(`built dist/index.js with ${functionEntryPoints().length} functions`);
}
