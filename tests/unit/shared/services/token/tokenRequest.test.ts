import { ReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '#src/shared/errors.js';
import {
  MAX_TOKEN_REQUEST_BYTES,
  parseTokenRequest,
  readTokenRequestBody,
} from '#src/shared/services/token/tokenRequest.js';

function rejection(rawBody: string): InvalidRequestError {
  try {
    parseTokenRequest(rawBody);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

describe('parseTokenRequest', () => {
  it('reads mailbox and resource, lowercasing the mailbox', () => {
    expect(parseTokenRequest('{"mailbox":"Mario.Rossi@Contoso.com","resource":"graph"}')).toEqual({
      mailbox: 'mario.rossi@contoso.com',
      resource: 'graph',
    });
  });

  it('defaults the resource to smtp', () => {
    expect(parseTokenRequest('{"mailbox":"user@contoso.com"}')).toEqual({
      mailbox: 'user@contoso.com',
      resource: 'smtp',
    });
  });

  it('ignores unknown fields', () => {
    expect(parseTokenRequest('{"mailbox":"user@contoso.com","resource":"smtp","client":"actnow"}')).toEqual({
      mailbox: 'user@contoso.com',
      resource: 'smtp',
    });
  });

  it.each([
    ['an empty body', ''],
    ['invalid JSON', '{"mailbox":'],
    ['a JSON array', '[{"mailbox":"user@contoso.com"}]'],
    ['a JSON string', '"user@contoso.com"'],
    ['JSON null', 'null'],
    ['no mailbox', '{"resource":"smtp"}'],
    ['a mailbox that is a number', '{"mailbox":42}'],
    ['a mailbox without @', '{"mailbox":"user.contoso.com"}'],
    ['a mailbox with spaces', '{"mailbox":"us er@contoso.com"}'],
    ['a mailbox with HTML', '{"mailbox":"<script>@contoso.com"}'],
    ['a mailbox with a control character', '{"mailbox":"user\\u0001@contoso.com"}'],
    ['an unknown resource', '{"mailbox":"user@contoso.com","resource":"imap"}'],
    ['a resource of the wrong type', '{"mailbox":"user@contoso.com","resource":["smtp"]}'],
  ])('rejects %s with invalid_request', (_case, body) => {
    const error = rejection(body);
    expect(error.code).toBe('invalid_request');
    expect(error.status).toBe(400);
  });

  it('rejects a mailbox over 256 characters (a 10 KB mailbox too) without echoing it', () => {
    const local = 'a'.repeat(64);
    const longMailbox = `${local}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`;
    expect(longMailbox.length).toBeGreaterThan(256);
    expect(rejection(JSON.stringify({ mailbox: longMailbox })).publicMessage).toMatch(/^Invalid request: mailbox/);
    const tenKilobytes = `${'x'.repeat(10 * 1024)}@contoso.com`;
    const error = rejection(JSON.stringify({ mailbox: tenKilobytes }));
    expect(error.publicMessage).not.toContain('xxxx');
  });

  it(`rejects a body over ${MAX_TOKEN_REQUEST_BYTES} bytes before parsing it`, () => {
    const body = JSON.stringify({ mailbox: 'user@contoso.com', padding: 'p'.repeat(MAX_TOKEN_REQUEST_BYTES) });
    expect(rejection(body).publicMessage).toContain(`${MAX_TOKEN_REQUEST_BYTES} bytes`);
  });

  it('names the field and the expected shape in the message, never the input', () => {
    const error = rejection('{"mailbox":"user@contoso.com","resource":"pop3"}');
    expect(error.publicMessage).toContain("resource: expected 'smtp' or 'graph'");
    expect(error.publicMessage).not.toContain('pop3');
  });
});

/** A request body that counts how often it is read (highWaterMark 0: nothing is pulled until someone reads). */
function countingBody(chunks: string[]) {
  const state = { pulls: 0, cancelled: false };
  const queue = chunks.map((chunk) => new TextEncoder().encode(chunk));
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulls++;
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { state, body };
}

async function bodyRejection(promise: Promise<unknown>): Promise<InvalidRequestError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error('expected an InvalidRequestError');
}

describe('readTokenRequestBody', () => {
  it('a token request with content-length above 4 KB answers 400 without reading the body', async () => {
    const { state, body } = countingBody(['p'.repeat(1024 * 1024)]);
    const error = await bodyRejection(
      readTokenRequestBody({ headers: new Headers({ 'content-length': String(1024 * 1024) }), body }),
    );
    expect(error.status).toBe(400);
    expect(error.publicMessage).toContain(`${MAX_TOKEN_REQUEST_BYTES} bytes`);
    expect(state.pulls).toBe(0);
  });

  it('stops reading a body without content-length once it passes 4 KB', async () => {
    const { state, body } = countingBody(Array.from({ length: 256 }, () => 'p'.repeat(1024)));
    const error = await bodyRejection(readTokenRequestBody({ headers: new Headers(), body }));
    expect(error.code).toBe('invalid_request');
    expect(state.pulls).toBe(MAX_TOKEN_REQUEST_BYTES / 1024 + 1);
    expect(state.cancelled).toBe(true);
  });

  it('reads a body within 4 KB as UTF-8, even when a character spans two chunks', async () => {
    const bytes = new TextEncoder().encode('{"mailbox":"àé@contoso.com"}');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 13));
        controller.enqueue(bytes.slice(13));
        controller.close();
      },
    });
    expect(await readTokenRequestBody({ headers: new Headers({ 'content-length': String(bytes.length) }), body })).toBe(
      '{"mailbox":"àé@contoso.com"}',
    );
  });

  it('reads no body as an empty one', async () => {
    expect(await readTokenRequestBody({ headers: new Headers(), body: null })).toBe('');
  });
});
