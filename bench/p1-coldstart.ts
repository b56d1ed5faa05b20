// P1 — cold start: what a fresh Functions worker loads at start (all that `health` needs), for its first
// /api/token request, and for every function, for the deployable bundle and for the same code unbundled
// (one file per module, as tsc would emit it).
// Each figure is the median of several fresh processes, the two variants run alternately.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleOptions, repoRoot } from '../scripts/build.mjs';

const workDir = join(repoRoot, 'bench/.work');
const RUNS = 7;

export interface ColdStartFigures {
  bundle: { startupMs: number; tokenPathMs: number; fullMs: number; startupFiles: number; tokenPathFiles: number; fullFiles: number };
  unbundled: { startupMs: number; tokenPathMs: number; fullMs: number; startupFiles: number; tokenPathFiles: number; fullFiles: number };
}

interface Variant {
  startup: string[];
  tokenPath: string[];
  full: string[];
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

async function buildVariants(): Promise<{ bundle: Variant; unbundled: Variant }> {
  rmSync(workDir, { recursive: true, force: true });
  const bundleDir = join(workDir, 'bundle');
  const result = await build({ ...bundleOptions(bundleDir), metafile: true, sourcemap: false });
  const chunkOf = (source: string): string => {
    const output = Object.entries(result.metafile.outputs).find(([, meta]) => meta.entryPoint === source);
    if (!output) throw new Error(`no chunk for ${source}`);
    return join(repoRoot, output[0]);
  };
  const runtimeSources = readdirSync(join(repoRoot, 'src/shared/runtime'))
    .filter((name) => name.endsWith('.ts') && name !== 'core.ts')
    .map((name) => `src/shared/runtime/${name}`);
  const dynamicSources = runtimeSources.filter((source) => Object.values(result.metafile.outputs).some((meta) => meta.entryPoint === source));
  // What the host loads at start: package.json `main`. It is also all that `health` ever needs.
  const bundleStartup = [join(bundleDir, 'index.js')];

  const unbundledDir = join(workDir, 'unbundled');
  await build({
    entryPoints: filesUnder(join(repoRoot, 'src'), '.ts'),
    outdir: unbundledDir,
    outbase: join(repoRoot, 'src'),
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  const unbundledStartup = filesUnder(join(unbundledDir, 'functions'), '.js').sort();
  const unbundledModule = (source: string) => join(unbundledDir, relative('src', source).replace(/\.ts$/, '.js'));

  return {
    bundle: {
      startup: bundleStartup,
      tokenPath: [...bundleStartup, chunkOf('src/shared/runtime/token.ts')],
      full: [...bundleStartup, ...dynamicSources.map(chunkOf)],
    },
    unbundled: {
      startup: unbundledStartup,
      tokenPath: [...unbundledStartup, unbundledModule('src/shared/runtime/token.ts')],
      full: [...unbundledStartup, ...dynamicSources.map(unbundledModule)],
    },
  };
}

function sampleSettings(): Record<string, string> {
  const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
  return sample.Values;
}

function probe(modules: string[], count: boolean): { ms: number; files?: number } {
  const output = execFileSync(process.execPath, [join(repoRoot, 'bench/p1-probe.mjs'), JSON.stringify({ modules, count })], {
    env: { ...process.env, ...sampleSettings() },
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').pop()!) as { ms: number; files?: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function measureColdStart(progress: (line: string) => void = () => undefined): Promise<ColdStartFigures> {
  progress('P1: building the bundle and the unbundled variant');
  const variants = await buildVariants();
  const times: Record<string, number[]> = {};
  const record = (key: string, modules: string[]) => (times[key] ??= []).push(probe(modules, false).ms);
  for (let run = 1; run <= RUNS; run++) {
    progress(`P1: cold loads, round ${run}/${RUNS}`);
    // Alternate the variants so that machine noise hits both alike.
    record('bundle.startup', variants.bundle.startup);
    record('unbundled.startup', variants.unbundled.startup);
    record('bundle.tokenPath', variants.bundle.tokenPath);
    record('unbundled.tokenPath', variants.unbundled.tokenPath);
    record('bundle.full', variants.bundle.full);
    record('unbundled.full', variants.unbundled.full);
  }
  const files = (modules: string[]) => probe(modules, true).files ?? 0;
  const t = (key: string) => median(times[key]!);
  return {
    bundle: {
      startupMs: t('bundle.startup'),
      tokenPathMs: t('bundle.tokenPath'),
      fullMs: t('bundle.full'),
      startupFiles: files(variants.bundle.startup),
      tokenPathFiles: files(variants.bundle.tokenPath),
      fullFiles: files(variants.bundle.full),
    },
    unbundled: {
      startupMs: t('unbundled.startup'),
      tokenPathMs: t('unbundled.tokenPath'),
      fullMs: t('unbundled.full'),
      startupFiles: files(variants.unbundled.startup),
      tokenPathFiles: files(variants.unbundled.tokenPath),
      fullFiles: files(variants.unbundled.full),
    },
  };
}

if (process.argv[1] === import.meta.filename) {
  console.log(JSON.stringify(await measureColdStart(console.log), null, 2));
}
