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

/** Only http(s) links become anchors: a `javascript:` URL must never reach an admin's browser or mail client. */
export function safeHref(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const protocol = new URL(url).protocol;
  return protocol === 'https:' || protocol === 'http:' ? url : undefined;
}
