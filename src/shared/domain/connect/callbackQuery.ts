// The first step of the callback pipeline: read what Entra (or an attacker) put in the redirect's query.
// Works on the raw query string because URLSearchParams silently keeps the last of duplicated names and
// repairs broken percent-encoding and UTF-8, hiding exactly what we must reject.

export const MAX_CALLBACK_QUERY_LENGTH = 16 * 1024;
export const MAX_STATE_LENGTH = 512;
export const MAX_CODE_LENGTH = 4096;

export type CallbackQueryRejection =
  | 'query_too_long'
  | 'bad_percent_encoding'
  | 'invalid_utf8'
  | 'duplicated_parameter'
  | 'state_too_long'
  | 'code_too_long'
  | 'missing_state'
  | 'missing_code'
  | 'malformed_state'
  | 'malformed_code'
  | 'malformed_error'
  | 'malformed_tenant'
  | 'code_and_error';

export type CallbackQuery =
  | { kind: 'code'; code: string; state: string }
  /** Entra refused the sign-in. `error_description` is never kept: only a numeric AADSTS code is. */
  | { kind: 'error'; error: string; aadsts?: number; errorSubcode?: string; state?: string }
  /** The answer of the v2 admin-consent endpoint, which redirects to the same URI. */
  | { kind: 'adminConsent'; granted: boolean; tenant?: string; error?: string; aadsts?: number; state?: string }
  | { kind: 'invalid'; reason: CallbackQueryRejection };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

// RFC 6749 Appendix A: VSCHAR = %x20-7E; state and code never need the space.
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
// RFC 6749 §4.1.2.1: error codes are plain ASCII words; Entra's are lowercase with underscores.
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AADSTS_CODE = /\bAADSTS(\d{4,9})\b/;

type Decoded = { ok: true; text: string } | { ok: false; reason: 'bad_percent_encoding' | 'invalid_utf8' };

/** application/x-www-form-urlencoded decoding that refuses, instead of repairs, bad input. */
function decodeComponent(raw: string): Decoded {
  const bytes: number[] = [];
  for (let index = 0; index < raw.length; index++) {
    const char = raw.charCodeAt(index);
    if (char === 0x25 /* % */) {
      const hex = raw.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'bad_percent_encoding' };
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (char === 0x2b /* + */) {
      bytes.push(0x20);
    } else if (char < 0x80) {
      bytes.push(char);
    } else {
      // A raw non-ASCII character in a query is not valid URL syntax.
      return { ok: false, reason: 'bad_percent_encoding' };
    }
  }
  try {
    return { ok: true, text: UTF8.decode(new Uint8Array(bytes)) };
  } catch {
    return { ok: false, reason: 'invalid_utf8' };
  }
}

function extractAadsts(description: string | undefined): number | undefined {
  if (description === undefined) return undefined;
  const digits = AADSTS_CODE.exec(description)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

function validState(state: string | undefined): CallbackQueryRejection | undefined {
  if (state === undefined || state === '') return 'missing_state';
  if (state.length > MAX_STATE_LENGTH) return 'state_too_long';
  if (!VISIBLE_ASCII.test(state)) return 'malformed_state';
  return undefined;
}

/** `rawSearch` is the query string as received, with or without its leading `?`. */
export function parseCallbackQuery(rawSearch: string): CallbackQuery {
  const query = rawSearch.startsWith('?') ? rawSearch.slice(1) : rawSearch;
  if (query.length > MAX_CALLBACK_QUERY_LENGTH) return { kind: 'invalid', reason: 'query_too_long' };

  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const name = decodeComponent(separator === -1 ? pair : pair.slice(0, separator));
    if (!name.ok) return { kind: 'invalid', reason: name.reason };
    const value = decodeComponent(separator === -1 ? '' : pair.slice(separator + 1));
    if (!value.ok) return { kind: 'invalid', reason: value.reason };
    // RFC 6749 §3.1: parameters MUST NOT be included more than once (parameter pollution).
    if (params.has(name.text)) return { kind: 'invalid', reason: 'duplicated_parameter' };
    params.set(name.text, value.text);
  }

  const code = params.get('code');
  const state = params.get('state');
  const error = params.get('error');
  const stateProblem = validState(state);
  // A state that is present but unusable is rejected even on an error response.
  if (stateProblem !== undefined && stateProblem !== 'missing_state') return { kind: 'invalid', reason: stateProblem };
  const knownState = stateProblem === undefined && state !== undefined ? { state } : {};

  if (error !== undefined) {
    if (code !== undefined) return { kind: 'invalid', reason: 'code_and_error' };
    if (!ERROR_CODE.test(error)) return { kind: 'invalid', reason: 'malformed_error' };
    const aadsts = extractAadsts(params.get('error_description'));
    const subcode = params.get('error_subcode');
    if (params.has('admin_consent')) {
      return {
        kind: 'adminConsent',
        granted: false,
        error,
        ...(aadsts === undefined ? {} : { aadsts }),
        ...knownState,
      };
    }
    return {
      kind: 'error',
      error,
      ...(aadsts === undefined ? {} : { aadsts }),
      ...(subcode !== undefined && ERROR_CODE.test(subcode) ? { errorSubcode: subcode } : {}),
      ...knownState,
    };
  }

  const adminConsent = params.get('admin_consent');
  if (adminConsent !== undefined && code === undefined) {
    const tenant = params.get('tenant');
    if (tenant !== undefined && !GUID.test(tenant)) return { kind: 'invalid', reason: 'malformed_tenant' };
    return {
      kind: 'adminConsent',
      granted: adminConsent.toLowerCase() === 'true',
      ...(tenant === undefined ? {} : { tenant: tenant.toLowerCase() }),
      ...knownState,
    };
  }

  if (stateProblem !== undefined || state === undefined) return { kind: 'invalid', reason: 'missing_state' };
  if (code === undefined || code === '') return { kind: 'invalid', reason: 'missing_code' };
  if (code.length > MAX_CODE_LENGTH) return { kind: 'invalid', reason: 'code_too_long' };
  if (!VISIBLE_ASCII.test(code)) return { kind: 'invalid', reason: 'malformed_code' };
  return { kind: 'code', code, state };
}
