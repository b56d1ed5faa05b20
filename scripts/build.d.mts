import type { BuildOptions } from 'esbuild';

export declare const repoRoot: string;
export declare function functionEntryPoints(): string[];
export declare function bundleOptions(outdir: string): BuildOptions;
