// The "process" half of POST /api/token: only this parser turns a raw body into a TokenRequest, so
// nothing malformed ever reaches Key Vault or Entra ID. Input is never echoed in the error message.
import type { ReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { canonicalMailboxAddress } from '#src/shared/domain/connect/loginHint.js';
import { InvalidRequestError } from '#src/shared/errors.js';

/** A token request is a mailbox and a resource name: 4 KB leaves ample room and bounds the parse. */
export const MAX_TOKEN_REQUEST_BYTES = 4 * 1024;

export const TOKEN_RESOURCES = ['smtp', 'graph'] as const;
export type TokenResource = (typeof TOKEN_RESOURCES)[number];

export interface TokenRequest {
  /** The mailbox address in canonical form (NFKC, lower case). */
  mailbox: string;
  resource: TokenResource;
}

const MAILBOX_EXPECTED =
  'mailbox: expected the user principal name of a connected mailbox, e.g. user@contoso.com (at most 256 characters)';

const tokenRequestSchema = z.object({
  mailbox: z.string({ error: MAILBOX_EXPECTED }).transform((mailbox, context) => {
    const address = canonicalMailboxAddress(mailbox);
    if (address.ok) return address.address;
    context.addIssue({ code: 'custom', message: MAILBOX_EXPECTED });
    return z.NEVER;
  }),
  resource: z.enum(TOKEN_RESOURCES, { error: "resource: expected 'smtp' or 'graph'" }).default('smtp'),
});

/** What the reader needs of an HTTP request (the Functions HttpRequest has both). */
export interface TokenRequestBody {
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | null;
}

const bodyTooLarge = () => new InvalidRequestError(`The request body is larger than ${MAX_TOKEN_REQUEST_BYTES} bytes.`);

/**
 * The body as text, read no further than the limit: a declared Content-Length above it is refused
 * before a byte is read, and a body without one (or with a false one) is cut off once it passes it.
 */
export async function readTokenRequestBody(request: TokenRequestBody): Promise<string> {
  if (Number(request.headers.get('content-length')) > MAX_TOKEN_REQUEST_BYTES) throw bodyTooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_TOKEN_REQUEST_BYTES) {
      await reader.cancel();
      throw bodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseTokenRequest(rawBody: string): TokenRequest {
  if (Buffer.byteLength(rawBody, 'utf8') > MAX_TOKEN_REQUEST_BYTES) throw bodyTooLarge();
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new InvalidRequestError(
      'The request body must be JSON: {"mailbox": "user@contoso.com", "resource": "smtp" | "graph"}.',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(
      'The request body must be a JSON object: {"mailbox": "user@contoso.com", "resource": "smtp" | "graph"}.',
    );
  }
  const parsed = tokenRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError(
      `Invalid request: ${[...new Set(parsed.error.issues.map((issue) => issue.message))].join('; ')}.`,
    );
  }
  return parsed.data;
}
