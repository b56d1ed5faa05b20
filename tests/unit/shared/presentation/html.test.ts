import { describe, expect, it } from 'vitest';
import { escapeHtmlWithCode, safeHref } from '#src/shared/presentation/html.js';

describe('presentation html', () => {
  it('shows code spans as <code> and escapes everything, inside code too', () => {
    expect(escapeHtmlWithCode('Esegui `npm run doctor` <ora> & `a<b`')).toBe(
      'Esegui <code>npm run doctor</code> &lt;ora&gt; &amp; <code>a&lt;b</code>',
    );
    expect(escapeHtmlWithCode('`x`', ' style="font-family:monospace"')).toBe(
      '<code style="font-family:monospace">x</code>',
    );
  });

  it('links only http(s) URLs', () => {
    expect(safeHref('https://portal.azure.com/x')).toBe('https://portal.azure.com/x');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('not a url')).toBeUndefined();
  });
});
