// One invocation the way the worker runs it: build the RPC invocation request the host would send,
// let the app's programming model turn it into arguments, call the function, and convert the
// RPC response back. Converters are named by direction like the library's (toRpc*/fromRpc*).
import { randomUUID } from 'node:crypto';
import type {
  FunctionMetadata,
  ProgrammingModel,
  Registration,
  RpcHttpCookie,
  RpcHttpData,
  RpcLogCategory,
  RpcLogLevel,
  RpcNullableString,
  RpcTypedData,
} from './coreApi.js';

export type InvocationLogger = (
  functionName: string,
  level: RpcLogLevel,
  category: RpcLogCategory,
  message: string,
) => void;

export function triggerBinding(metadata: FunctionMetadata): {
  name: string;
  type: string;
  options: Record<string, unknown>;
} {
  for (const [name, binding] of Object.entries(metadata.bindings)) {
    if (binding.direction === 'in' && typeof binding.type === 'string' && /trigger$/i.test(binding.type)) {
      return { name, type: binding.type, options: binding };
    }
  }
  throw new Error(`Function "${metadata.name}" has no trigger binding.`);
}

export async function invoke(
  programmingModel: ProgrammingModel,
  registration: Registration,
  triggerData: RpcTypedData,
  log: InvocationLogger,
): Promise<RpcTypedData | null | undefined> {
  const { metadata, callback } = registration;
  const invocationId = randomUUID();
  const model = programmingModel.getInvocationModel({
    invocationId,
    metadata,
    state: 'invocation',
    request: {
      functionId: metadata.name,
      invocationId,
      inputData: [{ name: triggerBinding(metadata).name, data: triggerData }],
      triggerMetadata: {},
    },
    log: (level, category, message) => log(metadata.name, level, category, message),
  });
  const { context, inputs } = await model.getArguments();
  const result = await model.invokeFunction(context, inputs, callback);
  const response = await model.getResponse(context, result);
  return response.returnValue;
}

export interface IncomingHttp {
  method: string;
  url: string;
  headers: Record<string, string>;
  params: Record<string, string>;
  body: Buffer;
}

const toNullable = (mapping: Record<string, string>): Record<string, RpcNullableString> =>
  Object.fromEntries(Object.entries(mapping).map(([key, value]) => [key, { value }]));

export function toRpcHttpRequest({ method, url, headers, params, body }: IncomingHttp): RpcTypedData {
  const query = Object.fromEntries(new URL(url).searchParams);
  const http: RpcHttpData = {
    method,
    url,
    headers,
    nullableHeaders: toNullable(headers),
    query,
    nullableQuery: toNullable(query),
    params,
    nullableParams: toNullable(params),
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  };
  return { http };
}

export interface OutgoingHttp {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

// The library sends 'none' when the app set no SameSite, and 'explicitNone' for SameSite=None.
const SAME_SITE_ATTRIBUTES: Readonly<Record<string, string>> = { lax: 'Lax', strict: 'Strict', explicitNone: 'None' };

function toSetCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expiresSeconds = cookie.expires?.value?.seconds;
  if (typeof expiresSeconds === 'number') parts.push(`Expires=${new Date(expiresSeconds * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  const sameSite = cookie.sameSite ? SAME_SITE_ATTRIBUTES[cookie.sameSite] : undefined;
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

function bodyBytes(data: RpcTypedData | null | undefined): Buffer {
  if (data?.bytes) return Buffer.from(data.bytes);
  if (typeof data?.string === 'string') return Buffer.from(data.string);
  return Buffer.alloc(0);
}

export function fromRpcHttpResponse(returnValue: RpcTypedData | null | undefined): OutgoingHttp {
  const http = returnValue?.http;
  // A handler that returns nothing: the host answers 204 No Content.
  if (!http) return { status: 204, headers: [], body: Buffer.alloc(0) };
  const headers = Object.entries(http.headers ?? {});
  for (const cookie of http.cookies ?? []) headers.push(['set-cookie', toSetCookie(cookie)]);
  return { status: Number(http.statusCode ?? 200), headers, body: bodyBytes(http.body) };
}

/** What the Timer trigger passes on a manual run (the host's TimerInfo, PascalCase on the wire). */
export function toRpcTimerInfo(now: Date): RpcTypedData {
  const timestamp = now.toISOString();
  return {
    json: JSON.stringify({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: { Last: timestamp, Next: timestamp, LastUpdated: timestamp },
      IsPastDue: false,
    }),
  };
}
