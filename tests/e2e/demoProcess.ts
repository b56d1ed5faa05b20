// `npm run demo` as the e2e tests drive it: start exactly that command in its own process group, read the
// one URL it prints, stop it with Ctrl+C (SIGINT to the group, as a terminal does). Shared by the demo
// story (demo.test.ts) and the screenshots of every page and mail (screenshots.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchChromium, serverSpkiHash } from '../support/chromium.js';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const docsDir = join(repoRoot, 'docs');
export const ALERT_SENDER = 'newsletter@contoso.onmicrosoft.com';
export const ALERT_RECIPIENT = 'giulia.bianchi@contoso.onmicrosoft.com';
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const OUTBOX_TIMEOUT_MS = 30_000;

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

export interface RunningDemo {
  child: ChildProcess;
  output: string[];
  simulatorUrl: string;
  caCertificatePath: string;
  /** npm's exit status, once npm and every process writing to its output (tsx, the demo) are gone. */
  closed: Promise<ExitStatus>;
}

const running = new Set<RunningDemo>();

/** For afterEach: a failed assertion must not leave a demo (and its Azurite and host) running. */
export async function stopRunningDemos(): Promise<void> {
  for (const demo of running) await stopDemo(demo);
}

/** `npm run demo -- <args>`; resolves once it printed its URL. */
export async function startDemo(args: readonly string[] = []): Promise<RunningDemo> {
  // detached: its own process group, so that SIGINT reaches npm, tsx and every child like Ctrl+C does.
  const child = spawn('npm', ['run', 'demo', ...(args.length > 0 ? ['--', ...args] : [])], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  // 'close', not 'exit': npm may exit before the demo has finished cleaning up; the demo still holds
  // the output pipe until it is done.
  const closed = new Promise<ExitStatus>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<{ simulatorUrl: string; caCertificatePath: string }>((resolve, reject) => {
    let caCertificatePath: string | undefined;
    const timer = setTimeout(
      () => reject(new Error(`npm run demo printed no URL within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        output.push(line);
        caCertificatePath ??= /CA certificate: (\S+)/.exec(line)?.[1];
        const url = /Simulator: (http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1];
        if (url && caCertificatePath) {
          clearTimeout(timer);
          resolve({ simulatorUrl: url, caCertificatePath });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void closed.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`npm run demo exited (${code}) before printing its URL:\n${output.join('\n')}`));
    });
  });
  const partial = { child, output, closed, simulatorUrl: '', caCertificatePath: '' };
  running.add(partial);
  Object.assign(partial, await ready);
  return partial;
}

/** Ctrl+C: SIGINT to the demo's process group, then wait until everything writing its output is gone. */
export async function stopDemo(demo: RunningDemo): Promise<ExitStatus> {
  running.delete(demo);
  if (demo.child.exitCode === null && demo.child.signalCode === null && demo.child.pid !== undefined) {
    process.kill(-demo.child.pid, 'SIGINT');
  }
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`the demo did not stop within ${STOP_TIMEOUT_MS} ms:\n${demo.output.join('\n')}`)),
      STOP_TIMEOUT_MS,
    ).unref(),
  );
  return Promise.race([demo.closed, timeout]);
}

/** After Ctrl+C npm either exits 0 or re-raises the SIGINT on itself, as any command does in a terminal. */
export function expectCleanStop(demo: RunningDemo, status: ExitStatus): void {
  expect(status.code === 0 || status.signal === 'SIGINT', `npm ended with ${JSON.stringify(status)}`).toBe(true);
  const output = demo.output.join('\n');
  expect(output).toContain('Demo stopped; temporary files removed.');
  expect(output).not.toMatch(/^\s*stop: /m);
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export const portOf = (url: string): number => Number(new URL(url).port);

/** Reloads the page until `ready` holds: the monitor's mail is sent by the host in the background. */
export async function reloadUntil(page: Page, ready: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + OUTBOX_TIMEOUT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await page.reload();
  }
}

/** The simulator's sign-in origin (the local Entra ID), read from its page, and Chromium trusting exactly that server. */
export async function launchForDemo(demo: RunningDemo): Promise<{ browser: Browser; entraOrigin: string }> {
  const homeHtml = await fetch(`${demo.simulatorUrl}/?lang=en`).then((response) => response.text());
  const entraOrigin = /id="sign-in-origin" data-origin="([^"]+)"/.exec(homeHtml)?.[1];
  if (entraOrigin === undefined) throw new Error('the simulator page names no sign-in origin');
  const caPem = await readFile(demo.caCertificatePath, 'utf8');
  return {
    browser: await launchChromium({ trustedSpkiHashes: [await serverSpkiHash(entraOrigin, caPem)] }),
    entraOrigin,
  };
}

/** "Connect newsletter@…": keyrelay's /api/connect, the local Entra sign-in page, back to the simulator. */
export async function connectAlertSender(page: Page, demo: RunningDemo, entraOrigin: string): Promise<void> {
  await page.click('#connect-sender');
  await page.waitForURL((url) => url.origin === entraOrigin);
  await page.check(`input[name="user"][data-upn="${ALERT_SENDER}"]`);
  await page.check('input[name="consent"]');
  await page.click('button[value="accept"]');
  await page.waitForURL((url) => url.origin === demo.simulatorUrl && url.searchParams.get('keyrelay') === 'connected');
  await expect.poll(() => page.locator(`tr[data-mailbox="${ALERT_SENDER}"]`).count()).toBe(1);
}
