// GET /api/status (function key): the monitor's picture of every credential, mailbox grant, run and
// rotation — JSON for tools, an HTML dashboard when a browser asks for it.
import '../shared/validateConfigOnLoad.js';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { functionServices } from '../shared/runtime/lazyFunctionServices.js';
import { htmlResult, jsonResult, toErrorResult } from '../shared/http/index.js';
import { formatLogLine } from '../shared/logger.js';
import { prefersHtml, renderStatusPage, statusPageLocale } from '../shared/services/status/statusPage.js';

export async function status(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const html = prefersHtml(request.headers.get('accept'));
  const query = new URL(request.url).searchParams;
  const locale = statusPageLocale(query.get('lang'), request.headers.get('accept-language'));
  try {
    const { getApp } = await functionServices();
    const report = await getApp().monitor().status.getStatus();
    return html ? htmlResult(200, renderStatusPage(report, locale, query)) : jsonResult(200, report);
  } catch (error) {
    context.error(formatLogLine('status.failed', { reason: error instanceof Error ? error.name : 'unknown' }));
    return toErrorResult(error, { format: html ? 'html' : 'json', locale });
  }
}

app.http('status', { route: 'status', methods: ['GET'], authLevel: 'function', handler: status });
