// POST /api/token: the product asks for a fresh SMTP XOAUTH2 string or Graph token each time it sends.
import '../shared/validateConfigOnLoad.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { getConfig } from '../shared/config.js';
import { jsonResult, toErrorResult } from '../shared/http/index.js';
import { loggerFor } from '../shared/logger.js';
import { parseTokenRequest } from '../shared/services/token/tokenRequest.js';

export async function token(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const tokenRequest = parseTokenRequest(await request.text());
    const { getTokenService } = await functionServices();
    return jsonResult(200, await getTokenService().getToken(tokenRequest));
  } catch (error) {
    const result = toErrorResult(error, { format: 'json', locale: getConfig().alertLocale });
    loggerFor(context).warn('token.failed', { status: result.status, code: errorCode(result.jsonBody) });
    return result;
  }
}

function errorCode(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : undefined;
}

app.http('token', { route: 'token', methods: ['POST'], authLevel: 'function', handler: token });
