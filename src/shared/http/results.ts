// Plain response objects, structurally compatible with @azure/functions' HttpResponseInit, so that
// src/shared never depends on the Functions runtime (STYLE.md habit 2).
import { API_SECURITY_HEADERS, HTML_SECURITY_HEADERS } from './securityHeaders.js';

/** Same shape as @azure/functions' Cookie; several cookies must travel in this array, not as headers. */
export interface HttpCookie {
  name: string;
  value: string;
  domain?: string;
  path?: string;
  expires?: Date | number;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  maxAge?: number;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  jsonBody?: unknown;
  body?: string;
  cookies?: HttpCookie[];
}

export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...API_SECURITY_HEADERS, ...headers },
    jsonBody: body,
  };
}

export function htmlResult(status: number, html: string, headers: Record<string, string> = {}): HttpResult {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...HTML_SECURITY_HEADERS, ...headers },
    body: html,
  };
}

/** A 302 that leaks nothing: no-store, and no Referer carrying the target's query to the next site. */
export function redirectResult(location: string, cookies: HttpCookie[] = []): HttpResult {
  return {
    status: 302,
    headers: { Location: location, ...API_SECURITY_HEADERS, 'Referrer-Policy': 'no-referrer' },
    ...(cookies.length > 0 ? { cookies } : {}),
  };
}

/** 204: done, nothing to say (a disconnect). */
export function noContentResult(): HttpResult {
  return { status: 204, headers: { ...API_SECURITY_HEADERS } };
}
