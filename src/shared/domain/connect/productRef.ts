// `ref` (DESIGN §3): the product's opaque reference for one connection. It travels sealed in the flow
// cookie, is stored on the mailbox row and comes back on the return URL, so the product can check with
// GET /api/mailboxes/{mailbox} that the connection it sees is the one it started.

export const MAX_PRODUCT_REF_LENGTH = 128;

// RFC 3986 unreserved characters: safe in a URL, a header, HTML and JSON without escaping.
const PRODUCT_REF = /^[A-Za-z0-9._~-]{1,128}$/;

export function isValidProductRef(raw: string): boolean {
  return PRODUCT_REF.test(raw);
}
