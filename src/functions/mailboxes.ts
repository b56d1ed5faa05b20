// The product's view of its mailboxes (function key): GET /api/mailboxes lists them, GET
// /api/mailboxes/{mailbox} checks one (status, tenant, the ref of the connection), DELETE disconnects it.
import '../shared/validateConfigOnLoad.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { getConfig } from '../shared/config.js';
import { jsonResult, noContentResult, toErrorResult } from '../shared/http/index.js';
import { loggerFor } from '../shared/logger.js';

export async function mailboxes(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const logger = loggerFor(context);
  try {
    const { getApp, parseMailboxesRequest } = await functionServices();
    const answer = await getApp()
      .mailboxes(logger)
      .execute(parseMailboxesRequest(request.method, request.params.mailbox));
    return answer.kind === 'disconnected' ? noContentResult() : jsonResult(200, answer.body);
  } catch (error) {
    const result = toErrorResult(error, { format: 'json', locale: getConfig().alertLocale });
    if (result.status >= 500)
      logger.error('mailboxes.failed', {
        status: result.status,
        error: error instanceof Error ? error.name : 'unknown',
      });
    return result;
  }
}

app.http('mailboxes', {
  route: 'mailboxes/{mailbox?}',
  methods: ['GET', 'DELETE'],
  authLevel: 'function',
  handler: mailboxes,
});
