// Bench-only function (never in src/functions, never deployed): the trivial counterpart of POST
// /api/token for P3. It reads a same-size JSON body and answers JSON of the byte length the bench names
// in `x-bench-answer-bytes` (the token answer's length), so that the two differ only in keyrelay's work.
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { jsonResult } from '#src/shared/http/index.js';
import { readTokenRequestBody } from '#src/shared/services/token/tokenRequest.js';

export const ANSWER_BYTES_HEADER = 'x-bench-answer-bytes';

const answers = new Map<number, { padding: string }>();

/** `{"padding":"xx…"}` exactly `bytes` long once serialised (never shorter than the empty padding). */
function answerOf(bytes: number): { padding: string } {
  let answer = answers.get(bytes);
  if (!answer) {
    answer = { padding: 'x'.repeat(Math.max(0, bytes - JSON.stringify({ padding: '' }).length)) };
    answers.set(bytes, answer);
  }
  return answer;
}

export async function benchEcho(request: HttpRequest): Promise<HttpResponseInit> {
  // Read as the token function reads its body: the comparison is about what keyrelay does with it.
  const body = JSON.parse(await readTokenRequestBody(request)) as unknown;
  if (typeof body !== 'object' || body === null) return jsonResult(400, { error: 'invalid_request' });
  return jsonResult(200, answerOf(Number(request.headers.get(ANSWER_BYTES_HEADER) ?? 0)));
}

app.http('benchEcho', { route: 'bench/echo', methods: ['POST'], authLevel: 'function', handler: benchEcho });
