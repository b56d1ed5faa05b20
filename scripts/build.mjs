// Builds the deployable artifact: one ESM entry per file in src/functions (what package.json `main`
// globs), with shared code split into chunks so that a function only loads the SDKs it imports.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const functionsDir = join(root, 'src/functions');
// FACTS.md: the host loads every file matching `main`; a stale file in dist/ would be loaded too.
rmSync(join(root, 'dist'), { recursive: true, force: true });

const entryPoints = readdirSync(functionsDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(functionsDir, name));

await build({
  entryPoints,
  outdir: join(root, 'dist'),
  entryNames: 'functions/[name]',
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
  banner: { js: "import { createRequire as __keyrelayCreateRequire } from 'node:module'; const require = __keyrelayCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`built ${entryPoints.length} function entr${entryPoints.length === 1 ? 'y' : 'ies'} into dist/`);
