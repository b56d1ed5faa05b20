// P1 — cold start: what a fresh Functions worker loads at start (package.json `main`: all that
// `health` ever needs) and for its first SDK-backed request (the lazily imported services), for the
// deployable bundle and for the same code unbundled (one file per module, as tsc would emit it). Each
// figure is the median of several fresh processes; the two variants run alternately.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleOptions, repoRoot } from '../scripts/build.mjs';
import type { BenchSection } from './context.js';

const workDir = join(repoRoot, 'bench/.work');
const RUNS = 7;
/** The module every handler imports lazily (src/functions/*.ts). */
const LAZY_SERVICES = 'src/shared/runtime/functionServices.ts';

export interface LoadFigures {
  startupMs: number;
  startupFiles: number;
  firstRequestMs: number;
  firstRequestFiles: number;
}

export interface ColdStartFigures {
  bundle: LoadFigures;
  unbundled: LoadFigures;
}

interface Variant {
  startup: string[];
  firstRequest: string[];
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
  const lazyChunk = Object.entries(result.metafile.outputs).find(([, meta]) => meta.entryPoint === LAZY_SERVICES)?.[0];
  if (!lazyChunk) throw new Error(`the bundle has no chunk for ${LAZY_SERVICES}`);
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
  return {
    bundle: { startup: bundleStartup, firstRequest: [...bundleStartup, join(repoRoot, lazyChunk)] },
    unbundled: {
      startup: unbundledStartup,
      firstRequest: [...unbundledStartup, join(unbundledDir, relative('src', LAZY_SERVICES).replace(/\.ts$/, '.js'))],
    },
  };
}

function sampleSettings(): Record<string, string> {
  const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  return sample.Values;
}

function probe(modules: string[], count: boolean): { ms: number; files?: number } {
  const output = execFileSync(
    process.execPath,
    [join(repoRoot, 'bench/p1-probe.mjs'), JSON.stringify({ modules, count })],
    {
      env: { ...process.env, ...sampleSettings() },
      encoding: 'utf8',
    },
  );
  return JSON.parse(output.trim().split('\n').pop()!) as { ms: number; files?: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function measureColdStart(progress: (line: string) => void = () => undefined): Promise<ColdStartFigures> {
  progress('P1: building the bundle and the unbundled variant');
  const variants = await buildVariants();
  const times = new Map<string, number[]>();
  const record = (key: string, modules: string[]) =>
    times.set(key, [...(times.get(key) ?? []), probe(modules, false).ms]);
  for (let run = 1; run <= RUNS; run++) {
    progress(`P1: cold loads, round ${run}/${RUNS}`);
    // Alternate the variants so that machine noise hits both alike.
    for (const scenario of ['startup', 'firstRequest'] as const) {
      record(`bundle.${scenario}`, variants.bundle[scenario]);
      record(`unbundled.${scenario}`, variants.unbundled[scenario]);
    }
  }
  const figures = (name: 'bundle' | 'unbundled'): LoadFigures => ({
    startupMs: median(times.get(`${name}.startup`)!),
    startupFiles: probe(variants[name].startup, true).files ?? 0,
    firstRequestMs: median(times.get(`${name}.firstRequest`)!),
    firstRequestFiles: probe(variants[name].firstRequest, true).files ?? 0,
  });
  return { bundle: figures('bundle'), unbundled: figures('unbundled') };
}

if (process.argv[1] === import.meta.filename) {
  console.log(JSON.stringify(await measureColdStart(console.log), null, 2));
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

export const coldStartSection: BenchSection = {
  id: 'P1',
  title: 'cold start: bundle vs the same code unbundled (fresh processes, medians)',
  async run(context) {
    const { bundle, unbundled } = await measureColdStart(context.progress);
    const firstRequestRatio = ratio(bundle.firstRequestMs, unbundled.firstRequestMs);
    return [
      {
        section: 'P1',
        metric: 'load time, first SDK-backed request: bundle / unbundled',
        measured: firstRequestRatio,
        goal: '<= 0.4',
        met: firstRequestRatio <= 0.4,
        note: `first request ${bundle.firstRequestMs.toFixed(0)} ms vs ${unbundled.firstRequestMs.toFixed(0)} ms; start-up ${bundle.startupMs.toFixed(0)} ms vs ${unbundled.startupMs.toFixed(0)} ms`,
      },
      {
        section: 'P1',
        metric: 'files loaded at start-up (all health needs): bundle',
        measured: bundle.startupFiles,
        goal: '<= 3',
        met: bundle.startupFiles <= 3,
        note: `unbundled start-up loads ${unbundled.startupFiles} files`,
      },
      {
        section: 'P1',
        metric: 'files loaded, first SDK-backed request: bundle (unbundled in note)',
        measured: bundle.firstRequestFiles,
        goal: '<= 4',
        met: bundle.firstRequestFiles <= 4,
        note: `unbundled: ${unbundled.firstRequestFiles} files; the 4th file is the lazily imported services chunk`,
      },
      {
        section: 'P1',
        metric: 'start-up (health) load / first SDK-backed request load, bundle',
        measured: ratio(bundle.startupMs, bundle.firstRequestMs),
        goal: '< 1',
        met: bundle.startupMs < bundle.firstRequestMs,
        note: 'health never loads MSAL, Graph, Key Vault or Tables',
      },
    ];
  },
};
