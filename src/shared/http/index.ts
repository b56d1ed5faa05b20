export { toErrorResult, type ErrorResultOptions } from './errorResult.js';
export { renderPage, type PageContent } from '../presentation/page.js';
export {
  htmlResult,
  jsonResult,
  noContentResult,
  redirectResult,
  type HttpCookie,
  type HttpResult,
} from './results.js';
export { API_SECURITY_HEADERS, HTML_SECURITY_HEADERS } from './securityHeaders.js';
export { clientAddressOf } from './clientAddress.js';
