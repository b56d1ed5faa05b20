// Small HTTP helpers shared by the emulators: bodies, JSON answers, request log and fault injection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InjectedFault, LocalCloudContext, ServiceName } from './context.js';

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** Records the request once the response is finished, so the logged status is the real one. */
export function logRequest(
  ctx: LocalCloudContext,
  service: ServiceName,
  route: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  res.once('finish', () => {
    ctx.requestLog.push({
      at: ctx.clock.now().toISOString(),
      service,
      route,
      method: req.method ?? 'GET',
      status: res.statusCode,
    });
  });
}

/** Takes the first matching fault (decrementing its count) or undefined. */
export function takeFault(ctx: LocalCloudContext, service: ServiceName, route: string): InjectedFault | undefined {
  const index = ctx.faults.findIndex(
    (f) => f.service === service && (f.route === '*' || f.route === route) && f.remaining > 0,
  );
  if (index < 0) return undefined;
  const fault = ctx.faults[index]!;
  fault.remaining -= 1;
  if (fault.remaining <= 0) ctx.faults.splice(index, 1);
  return fault;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The opaque `$skiptoken` both emulators page with: the offset of the next page. */
export function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

/** The offset in a `$skiptoken`, or undefined when the token is not one of ours. */
export function decodeSkipToken(token: string): number | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0)
      return parsed.offset;
  } catch {
    // not ours: undefined below
  }
  return undefined;
}
