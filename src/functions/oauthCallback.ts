// Where Microsoft sends the browser back after sign-in: checks the answer against the flow cookie,
// redeems the code, stores the mailbox's token cache and returns to the product (DESIGN §3).
import '../shared/validateConfigOnLoad.js';
import { pickLocale } from '../shared/presentation/locale.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { callbackResult } from '../shared/http/connectPages.js';
import { toErrorResult } from '../shared/http/index.js';
import { errorName } from '../shared/errors.js';
import { loggerFor } from '../shared/logger.js';

export async function oauthCallback(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = loggerFor(context);
  const locale = pickLocale(request.headers.get('accept-language'));
  try {
    const { getApp } = await functionServices();
    const outcome = await getApp().connect(logger).complete(new URL(request.url).search, request.headers.get('cookie'));
    return callbackResult(outcome, locale);
  } catch (error) {
    const result = toErrorResult(error, { format: 'html', locale });
    if (result.status >= 500) logger.error('connect.error', { status: result.status, error: errorName(error) });
    return result;
  }
}

app.http('oauthCallback', {
  route: 'oauth/callback',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: oauthCallback,
});
