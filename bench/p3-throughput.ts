// P3 — what keyrelay adds to a warm POST /api/token, measured two ways against a bench-only function
// (bench/p3-echo.ts) that reads the same request and answers the same number of bytes:
//   - over HTTP, on the same local host: warm token req/s ÷ echo req/s;
//   - in process, without the host: echo µs per handler call ÷ token µs per handler call.
// Both ratios have the goal ≥ 0.9 (keyrelay's work costs at most a tenth of the trivial answer's).
import functions, { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import autocannon from 'autocannon';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { connectMailbox } from '../tests/support/connectMailbox.js';
import type { BenchContext, BenchEnvironment, BenchRow, BenchSection } from './context.js';
import { ANSWER_BYTES_HEADER } from './p3-echo.js';

const MAILBOX = 'mario.rossi@contoso.onmicrosoft.com';
const GOAL = 0.9;
const LOAD_SECONDS = 5;
const LOAD_CONNECTIONS = 10;
const LOAD_ROUNDS = 3;
const CALLS_PER_ROUND = 2_000;
const CALL_ROUNDS = 5;

interface Figures {
  samples: number[];
  failures: number;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const round2 = (value: number) => Math.round(value * 100) / 100;

function tokenBody(): string {
  return JSON.stringify({ mailbox: MAILBOX, resource: 'smtp' });
}

/** The warm token answer's length in bytes (what the echo must answer), connecting the mailbox if needed. */
async function warmTokenAnswerBytes(env: BenchEnvironment): Promise<number> {
  const ask = () =>
    fetch(`${env.host.url}/api/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': env.functionKey },
      body: tokenBody(),
    });
  let answer = await ask();
  if (answer.status !== 200) {
    await answer.arrayBuffer();
    await connectMailbox(env.stack, MAILBOX);
    answer = await ask();
  }
  const bytes = (await answer.arrayBuffer()).byteLength;
  if (answer.status !== 200) throw new Error(`token answered ${answer.status}`);
  return bytes;
}

async function overHttp(
  env: BenchEnvironment,
  answerBytes: number,
  progress: (line: string) => void,
): Promise<BenchRow> {
  // The same headers and body to both: the requests differ only in their path.
  const request = {
    method: 'POST' as const,
    headers: {
      'content-type': 'application/json',
      'x-functions-key': env.functionKey,
      [ANSWER_BYTES_HEADER]: String(answerBytes),
    },
    body: tokenBody(),
  };
  const load = async (path: string, figures: Figures, bytes: number[]) => {
    const result = await autocannon({
      url: `${env.host.url}${path}`,
      connections: LOAD_CONNECTIONS,
      duration: LOAD_SECONDS,
      ...request,
    });
    figures.samples.push(result.requests.average);
    figures.failures += result.non2xx + result.errors;
    bytes.push(result.throughput.total / Math.max(1, result.requests.total));
    return result.requests.average;
  };
  const token: Figures = { samples: [], failures: 0 };
  const echo: Figures = { samples: [], failures: 0 };
  const tokenBytes: number[] = [];
  const echoBytes: number[] = [];
  // Alternate the two so that machine noise hits both alike.
  for (let round = 1; round <= LOAD_ROUNDS; round++) {
    const e = await load('/api/bench/echo', echo, echoBytes);
    const t = await load('/api/token', token, tokenBytes);
    progress(`P3 HTTP round ${round}: echo ${e.toFixed(0)} req/s, token ${t.toFixed(0)} req/s`);
  }
  const ratio = mean(token.samples) / mean(echo.samples);
  const note =
    `HTTP: token ${mean(token.samples).toFixed(0)} req/s vs echo ${mean(echo.samples).toFixed(0)} req/s, answers ${answerBytes} B of body ` +
    `(${mean(tokenBytes).toFixed(0)} vs ${mean(echoBytes).toFixed(0)} B per response with headers); ${LOAD_CONNECTIONS} connections, ` +
    `${LOAD_ROUNDS}x${LOAD_SECONDS}s each; non-2xx token ${token.failures}, echo ${echo.failures}`;
  return {
    section: 'P3',
    metric: 'warm token req/s / same-size echo req/s (same host)',
    measured: round2(ratio),
    goal: `>= ${GOAL}`,
    met: ratio >= GOAL && token.failures === 0 && echo.failures === 0,
    note,
  };
}

// The package is CommonJS: under Node's ESM loader only its default export carries the classes.
const { HttpRequest: Request, InvocationContext: Context } = functions;

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

async function microsecondsPerCall(handler: Handler, name: string, answerBytes: number): Promise<number> {
  const context = new Context({ functionName: name, invocationId: 'bench' });
  const body = tokenBody();
  const headers = { 'content-type': 'application/json', [ANSWER_BYTES_HEADER]: String(answerBytes) };
  const started = performance.now();
  for (let call = 0; call < CALLS_PER_ROUND; call++) {
    const request = new Request({
      method: 'POST',
      url: `http://localhost/api/${name}`,
      headers,
      body: { string: body },
    });
    const answer = await handler(request, context);
    if (answer.status !== 200) throw new Error(`${name} answered ${answer.status}`);
  }
  return ((performance.now() - started) * 1_000) / CALLS_PER_ROUND;
}

async function inProcess(
  env: BenchEnvironment,
  answerBytes: number,
  progress: (line: string) => void,
): Promise<BenchRow> {
  // The handlers read their settings from process.env as under the host; load them only once those are in.
  Object.assign(process.env, env.stack.settings);
  const { token } = await import('../src/functions/token.js');
  const { benchEcho } = await import('./p3-echo.js');
  const { getApp } = await import('../src/shared/runtime/app.js');
  const tokenUs: number[] = [];
  const echoUs: number[] = [];
  // The token path's audit lines are still formatted, but written nowhere: under the host they travel
  // to the host asynchronously, and 20,000 of them would bury the bench's own output.
  const { info } = console;
  const silent = new Console(new Writable({ write: (_chunk, _encoding, done) => done() }));
  console.info = (...args: unknown[]) => silent.info(...args);
  try {
    await microsecondsPerCall(token, 'token', answerBytes);
    // The first call loads the audit key from Key Vault; a warm loop never yields to I/O, so without
    // this every audit line would wait for the loop's end and its cost would go unmeasured.
    await getApp().audit().flushed();
    await microsecondsPerCall(benchEcho, 'echo', answerBytes);
    for (let round = 1; round <= CALL_ROUNDS; round++) {
      echoUs.push(await microsecondsPerCall(benchEcho, 'echo', answerBytes));
      tokenUs.push(await microsecondsPerCall(token, 'token', answerBytes));
      progress(
        `P3 in-process round ${round}: echo ${echoUs.at(-1)!.toFixed(1)} µs, token ${tokenUs.at(-1)!.toFixed(1)} µs per call`,
      );
    }
  } finally {
    console.info = info;
  }
  const ratio = mean(echoUs) / mean(tokenUs);
  return {
    section: 'P3',
    metric: 'echo µs / warm token µs per handler call (in process)',
    measured: round2(ratio),
    goal: `>= ${GOAL}`,
    met: ratio >= GOAL,
    note: `in process: token ${mean(tokenUs).toFixed(1)} µs vs echo ${mean(echoUs).toFixed(1)} µs per call (new HttpRequest each), ${CALL_ROUNDS}x${CALLS_PER_ROUND} calls each`,
  };
}

export const tokenThroughputSection: BenchSection = {
  id: 'P3',
  title: 'POST /api/token warm: throughput and per-call cost against a same-size trivial function',
  async run(context: BenchContext) {
    const env = await context.environment();
    const answerBytes = await warmTokenAnswerBytes(env);
    const rows = [await overHttp(env, answerBytes, context.progress)];
    rows.push(await inProcess(env, answerBytes, context.progress));
    for (const row of rows)
      context.progress(`P3 ${row.metric}: ${row.measured} (goal ${row.goal}) ${row.met ? 'met' : 'NOT met'}`);
    return rows;
  },
};
