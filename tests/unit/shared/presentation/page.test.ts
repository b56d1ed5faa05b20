import { describe, expect, it } from 'vitest';
import { renderPage } from '#src/shared/presentation/page.js';
import { escapeHtml } from '#src/shared/presentation/html.js';
import { htmlResult, jsonResult, redirectResult } from '#src/shared/http/results.js';

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('renderPage', () => {
  it('escapes the title, keeps the trusted body and has no script', () => {
    const html = renderPage({ lang: 'en', title: '<Status>', bodyHtml: '<p>ok</p>' });
    expect(html).toContain('<title>&lt;Status&gt; · keyrelay</title>');
    expect(html).toContain('<p>ok</p>');
    expect(html).not.toMatch(/<script/i);
  });
});

describe('results', () => {
  it('jsonResult carries the API security headers', () => {
    expect(jsonResult(200, { a: 1 })).toEqual({
      status: 200,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      },
      jsonBody: { a: 1 },
    });
  });

  it('htmlResult carries the HTML security headers of DESIGN §3', () => {
    expect(htmlResult(200, '<p></p>').headers).toEqual({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
  });

  it('redirectResult is an uncacheable 302 that passes its cookies in the cookies array', () => {
    const cookie = { name: 'kr', value: 'v', httpOnly: true, secure: true, sameSite: 'Lax' as const };
    expect(redirectResult('https://example.com/next', [cookie])).toMatchObject({
      status: 302,
      headers: { Location: 'https://example.com/next', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
      cookies: [cookie],
    });
  });
});
