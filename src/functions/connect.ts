// Starts connecting a mailbox: the admin's browser comes here from the product and is sent on to the
// Microsoft sign-in with a flow cookie that binds the answer to this browser (DESIGN §3).
import '../shared/validateConfigOnLoad.js';
import { pickLocale } from '../shared/presentation/locale.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { connectStartResult } from '../shared/http/connectPages.js';
import { clientAddressOf, toErrorResult } from '../shared/http/index.js';
import { errorName } from '../shared/errors.js';
import { loggerFor } from '../shared/logger.js';

export async function connect(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = loggerFor(context);
  try {
    const { getApp, parseConnectQuery } = await functionServices();
    const query = parseConnectQuery(new URL(request.url).search);
    const clientAddress = clientAddressOf(request.headers);
    const started = await getApp()
      .connect(logger)
      .start({ ...query, ...(clientAddress === undefined ? {} : { clientAddress }) });
    return connectStartResult(started);
  } catch (error) {
    const result = toErrorResult(error, { format: 'html', locale: pickLocale(request.headers.get('accept-language')) });
    if (result.status >= 500) logger.error('connect.error', { status: result.status, error: errorName(error) });
    return result;
  }
}

app.http('connect', { route: 'connect', methods: ['GET'], authLevel: 'anonymous', handler: connect });
