// P2, P4, P5: what POST /api/token costs, measured through the local host on the build in dist/ with the
// emulators' request log (every call keyrelay makes to Entra ID or Key Vault is one log entry).
import { ageStoredAccessTokens, connectMailbox } from '../tests/support/connectMailbox.js';
import type { BenchContext, BenchEnvironment, BenchRow, BenchSection } from './context.js';

const WARM_REQUESTS = 200;
const CONCURRENT_REQUESTS = 50;

function post(env: BenchEnvironment, mailbox: string, resource = 'smtp'): Promise<Response> {
  return fetch(`${env.host.url}/api/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': env.functionKey },
    body: JSON.stringify({ mailbox, resource }),
  });
}

async function expectOk(response: Response): Promise<void> {
  if (response.status !== 200) throw new Error(`token answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

function count(env: BenchEnvironment, service: 'entra' | 'keyvault', route?: string): number {
  return env.stack.local.cloud.countRequests(service, route);
}

async function p2(env: BenchEnvironment): Promise<BenchRow[]> {
  const mailbox = 'mario.rossi@contoso.onmicrosoft.com';
  await connectMailbox(env.stack, mailbox);
  await expectOk(await post(env, mailbox));
  env.stack.local.cloud.clearRequestLog();
  for (let i = 0; i < WARM_REQUESTS; i++) await expectOk(await post(env, mailbox));
  const outbound = env.stack.local.cloud.requestLog().entries.length;
  return [
    {
      section: 'P2',
      metric: `outbound calls per warm request (${WARM_REQUESTS} requests)`,
      measured: outbound / WARM_REQUESTS,
      goal: '0',
      met: outbound === 0,
    },
  ];
}

async function p4(env: BenchEnvironment): Promise<BenchRow[]> {
  // Worst case for one request on a running instance: a mailbox this instance has not served yet, its
  // stored access token expired and its stored copy 7 hours old (so the new refresh token is written).
  const mailbox = await connectMailbox(env.stack, 'giulia.bianchi@contoso.onmicrosoft.com');
  await ageStoredAccessTokens(env.stack, mailbox, -60, 7);
  env.stack.local.cloud.clearRequestLog();
  await expectOk(await post(env, mailbox.upn));
  const reads = count(env, 'keyvault', 'secrets.get');
  const entra = count(env, 'entra', 'token.refresh_token');
  const writes = count(env, 'keyvault', 'secrets.set');
  const note = 'expired stored token, stored copy 7 h old; Entra = token endpoint calls';
  return [
    {
      section: 'P4',
      metric: 'Key Vault reads for one cold request',
      measured: reads,
      goal: '<= 1',
      met: reads <= 1,
      note,
    },
    { section: 'P4', metric: 'Entra calls for one cold request', measured: entra, goal: '<= 1', met: entra <= 1 },
    {
      section: 'P4',
      metric: 'Key Vault writes for one cold request',
      measured: writes,
      goal: '<= 1',
      met: writes <= 1,
    },
  ];
}

async function p5(env: BenchEnvironment): Promise<BenchRow[]> {
  const mailbox = await connectMailbox(env.stack, 'newsletter@contoso.onmicrosoft.com');
  await ageStoredAccessTokens(env.stack, mailbox, -60, 7);
  env.stack.local.cloud.clearRequestLog();
  const answers = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, () => post(env, mailbox.upn)));
  const bodies = await Promise.all(
    answers.map(async (answer) => ({ status: answer.status, body: (await answer.json()) as { accessToken?: string } })),
  );
  const failed = bodies.filter((answer) => answer.status !== 200).length;
  const distinctTokens = new Set(bodies.map((answer) => answer.body.accessToken)).size;
  const refreshes = count(env, 'entra', 'token.refresh_token');
  const writes = count(env, 'keyvault', 'secrets.set');
  const note = `${CONCURRENT_REQUESTS - failed}/${CONCURRENT_REQUESTS} answered 200 with ${distinctTokens} distinct token(s)`;
  return [
    {
      section: 'P5',
      metric: `Entra refreshes for ${CONCURRENT_REQUESTS} concurrent requests on an expired token`,
      measured: refreshes,
      goal: '1',
      met: refreshes === 1 && failed === 0,
      note,
    },
    {
      section: 'P5',
      metric: `Key Vault writes for ${CONCURRENT_REQUESTS} concurrent requests on an expired token`,
      measured: writes,
      goal: '<= 1',
      met: writes <= 1,
    },
  ];
}

export const tokenSection: BenchSection = {
  id: 'P2-P5',
  title: 'POST /api/token: outbound calls, cold and concurrent costs (throughput: section P3)',
  async run(context: BenchContext) {
    const env = await context.environment();
    const rows: BenchRow[] = [];
    rows.push(...(await p2(env)));
    context.progress('P2 done');
    rows.push(...(await p4(env)));
    context.progress('P4 done');
    rows.push(...(await p5(env)));
    return rows;
  },
};
