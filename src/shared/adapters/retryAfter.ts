// Retry-After (RFC 9110 §10.2.3), as Entra ID, Graph, Key Vault and Storage send it: delta-seconds or an
// HTTP date. One reading for every adapter, relative to the injected clock's now.

/** Whole seconds to wait, never negative; undefined when the header is absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: Date): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}
