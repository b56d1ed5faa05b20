// The HTML shell of every browser page: self-contained (inline style only, no script), so the strict
// CSP of src/shared/http/securityHeaders.ts holds. The connect pages and the status dashboard share it.
import { escapeHtml } from './html.js';
import type { Locale } from './locale.js';

const PAGE_STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f5f6f8; color: #1b1f24; }
  main { max-width: 42rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  a.button { display: inline-block; padding: .6rem 1.1rem; background: #0f6cbd; color: #fff; border-radius: 4px; text-decoration: none; }
  code { background: #f0f1f3; padding: 0 .25rem; border-radius: 3px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e5e8; }
`;

export interface PageContent {
  lang: Locale;
  /** Plain text; escaped here. */
  title: string;
  /** Trusted HTML: every dynamic value in it must already have gone through escapeHtml. */
  bodyHtml: string;
  /** The page's own style sheet (trusted, static), in place of the small default one. */
  style?: string;
}

/** The document title names keyrelay once: appended unless the title already says it. */
function documentTitle(title: string): string {
  return title.includes('keyrelay') ? title : `${title} · keyrelay`;
}

export function renderPage({ lang, title, bodyHtml, style = PAGE_STYLE }: PageContent): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(documentTitle(title))}</title>
<style>${style}</style>
</head>
<body>
<main>
${bodyHtml}
</main>
</body>
</html>
`;
}
