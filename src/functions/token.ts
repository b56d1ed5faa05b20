// POST /api/token: the product asks for a fresh SMTP XOAUTH2 string or Graph token each time it sends.
import '../shared/validateConfigOnLoad.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { getConfig } from '../shared/config.js';
import { jsonResult, toErrorResult } from '../shared/http/index.js';
import { loggerFor } from '../shared/logger.js';
import { errorName, InternalError } from '../shared/errors.js';
import { parseTokenRequest, readTokenRequestBody } from '../shared/services/token/tokenRequest.js';

export async function token(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const tokenRequest = parseTokenRequest(await readTokenRequestBody(request));
    const { getApp } = await functionServices();
    return jsonResult(200, await getApp().tokens().getToken(tokenRequest));
  } catch (error) {
    const result = toErrorResult(error, { format: 'json', locale: getConfig().alertLocale });
    // Names only: an error's message may echo a request, a secret name or an SDK's response.
    const properties = {
      status: result.status,
      code: errorCode(result.jsonBody),
      error: errorName(error),
      cause: causeName(error),
    };
    if (result.status >= 500 && result.status !== 503) loggerFor(context).error('token.failed', properties);
    else loggerFor(context).warn('token.failed', properties);
    return result;
  }
}

function errorCode(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : undefined;
}

/** What an InternalError wraps is what went wrong (e.g. the SDK's RestError). */
function causeName(error: unknown): string | undefined {
  return error instanceof InternalError && error.cause !== undefined ? errorName(error.cause) : undefined;
}

app.http('token', { route: 'token', methods: ['POST'], authLevel: 'function', handler: token });
