// The one HTML escaping of the code base: pages, the status dashboard and mails all go through it.
const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

const CODE_SPAN = /`([^`]+)`/g;

/**
 * Escapes message text and shows its backtick code spans (commands, error codes, role names) as `<code>`:
 * catalogues write code as `npm run doctor`, never as words in the prose. `codeAttributes` carries the
 * inline style mail clients need (they drop `<style>`).
 */
export function escapeHtmlWithCode(text: string, codeAttributes = ''): string {
  return escapeHtml(text).replace(CODE_SPAN, (_span, code: string) => `<code${codeAttributes}>${code}</code>`);
}

/** Only http(s) links become anchors: a `javascript:` URL must never reach an admin's browser or mail client. */
export function safeHref(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const protocol = new URL(url).protocol;
  return protocol === 'https:' || protocol === 'http:' ? url : undefined;
}
