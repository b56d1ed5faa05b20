// Where the browser may be sent after sign-in. An open redirect on an OAuth callback hands attackers a
// trusted-looking link (RFC 9700 §4.11), so the rules are strict and checked on the raw text AND on the
// parsed, normalised URL.

export const MAX_RETURN_URL_LENGTH = 2048;

export type ReturnUrlRejection =
  | 'empty'
  | 'too_long'
  | 'forbidden_characters'
  | 'malformed_encoding'
  | 'encoded_characters'
  | 'not_absolute'
  | 'scheme_not_allowed'
  | 'userinfo_not_allowed'
  | 'not_allowed';

export type ReturnUrlValidation = { ok: true; url: string } | { ok: false; reason: ReturnUrlRejection };

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

// Control characters, every Unicode space/separator, invisible format characters (zero-width space,
// bidi overrides) and the backslash that browsers read as a slash.
const FORBIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Z}\s\\]/u;

// Only `scheme://` followed directly by the host: rejects `https:host`, `https:///host`, `https:/\host`,
// which the WHATWG parser would quietly repair into a different host.
const ABSOLUTE_HTTP_URL = /^(https?):\/\/(?![/\\])/i;

// Percent-encoded `/`, `\`, `.` and `%` in the path change meaning when a server decodes once more.
const ENCODED_PATH_TRICK = /%(?:2f|5c|2e|25)/i;

interface AllowedReturnUrl {
  origin: string;
  pathPrefix: string;
}

/** An allowed entry is an origin (`https://app.example.com`) or an origin plus path prefix. */
function parseAllowedEntry(entry: string): AllowedReturnUrl | undefined {
  if (!ABSOLUTE_HTTP_URL.test(entry) || FORBIDDEN_CHARACTERS.test(entry)) return undefined;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined;
  // Plain http is only tolerated for a developer's own machine.
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  const pathPrefix = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return { origin: url.origin, pathPrefix };
}

function pathMatches(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  // Segment boundary: `/settings` must not admit `/settings-evil`.
  return path === prefix || path.startsWith(`${prefix}/`);
}

function decodeOnce(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Validates the `returnUrl` of /api/connect against ALLOWED_RETURN_URLS. `raw` is the parameter value as
 * received (already query-decoded once by the URL parser of the request).
 */
export function validateReturnUrl(raw: string, allowed: readonly string[]): ReturnUrlValidation {
  if (raw === '') return { ok: false, reason: 'empty' };
  if (raw.length > MAX_RETURN_URL_LENGTH) return { ok: false, reason: 'too_long' };
  if (FORBIDDEN_CHARACTERS.test(raw)) return { ok: false, reason: 'forbidden_characters' };
  const decoded = decodeOnce(raw);
  if (decoded === undefined) return { ok: false, reason: 'malformed_encoding' };
  if (FORBIDDEN_CHARACTERS.test(decoded)) return { ok: false, reason: 'forbidden_characters' };

  const scheme = ABSOLUTE_HTTP_URL.exec(raw)?.[1];
  if (scheme === undefined) {
    return { ok: false, reason: /^[a-z][a-z0-9+.-]*:/i.test(raw) ? 'scheme_not_allowed' : 'not_absolute' };
  }
  const afterScheme = raw.slice(scheme.length + 3);
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd === -1 ? afterScheme : afterScheme.slice(0, authorityEnd);
  // `https://@host` parses with an empty username, so look at the raw authority too.
  if (authority.includes('@')) return { ok: false, reason: 'userinfo_not_allowed' };
  if (authority.includes('%')) return { ok: false, reason: 'encoded_characters' };
  const rest = authorityEnd === -1 ? '' : afterScheme.slice(authorityEnd);
  const rawPath = rest.split(/[?#]/, 1)[0] ?? '';
  if (ENCODED_PATH_TRICK.test(rawPath)) return { ok: false, reason: 'encoded_characters' };

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not_absolute' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'userinfo_not_allowed' };
  // Normalising percent-encodes non-ASCII characters (one `é` becomes `%C3%A9`): the limit is on what is kept.
  if (url.href.length > MAX_RETURN_URL_LENGTH) return { ok: false, reason: 'too_long' };

  for (const entry of allowed) {
    const rule = parseAllowedEntry(entry);
    if (rule !== undefined && rule.origin === url.origin && pathMatches(url.pathname, rule.pathPrefix)) {
      return { ok: true, url: url.href };
    }
  }
  return { ok: false, reason: 'not_allowed' };
}

/** True when an ALLOWED_RETURN_URLS entry can ever match; config validation uses it to name bad entries. */
export function isUsableAllowedReturnUrl(entry: string): boolean {
  return parseAllowedEntry(entry) !== undefined;
}
