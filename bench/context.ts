// What every bench section shares: the local cloud + Azurite + the local host on the deployable bundle
// plus the bench-only functions (bench/benchApp.ts), started on first use (a section that needs none
// of it, like P1, starts nothing), and one row type.
import { buildBenchApp, type BenchApp } from './benchApp.js';
import { startTestHost, startTestStack, type TestHost, type TestStack } from '../tests/support/stack.js';

export interface BenchRow {
  section: string;
  metric: string;
  measured: number;
  /** e.g. '0', '>= 0.8', '<= 1'. */
  goal: string;
  met: boolean;
  note?: string;
}

export interface BenchEnvironment {
  stack: TestStack;
  host: TestHost;
  functionKey: string;
}

export interface BenchContext {
  environment(): Promise<BenchEnvironment>;
  progress: (line: string) => void;
}

/** One section of `npm run bench` (bench/p<N>-*.ts exports one). */
export interface BenchSection {
  id: string;
  title: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

export function createBenchContext(progress: (line: string) => void): BenchContext & { close(): Promise<void> } {
  let started: Promise<BenchEnvironment & { app: BenchApp }> | undefined;
  return {
    progress,
    environment() {
      started ??= (async () => {
        const functionKey = 'bench-function-key';
        const app = await buildBenchApp();
        const stack = await startTestStack();
        const host = await startTestHost(stack, { functionKey, appRoot: app.appRoot });
        return { stack, host, functionKey, app };
      })();
      return started;
    },
    async close() {
      if (!started) return;
      const { stack, host, app } = await started;
      await host.close();
      await stack.close();
      app.remove();
    },
  };
}
