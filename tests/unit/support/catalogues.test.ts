import { describe, expect, it } from 'vitest';
import { englishWordsIn, missingKeys } from '../../support/catalogues.js';

describe('catalogue checks', () => {
  it('names the keys one language lacks', () => {
    const catalogue = { it: { a: 'x', b: { c: 'y' } }, en: { a: 'x', b: { d: () => 'z' } } };
    expect(missingKeys(catalogue)).toEqual({ it: ['b.d'], en: ['b.c'] });
  });

  it('finds English words in Italian prose but not in code, URLs, addresses or setting names', () => {
    expect(englishWordsIn('Il segreto è stato switched ieri')).toEqual(['switched']);
    expect(
      englishWordsIn(
        'Esegui `npm run setup`, poi apri https://example.com/the/secret e imposta ALERT_SENDER per ops@contoso.com',
      ),
    ).toEqual([]);
    expect(englishWordsIn('<p class="secret">Segreto rinnovato</p>')).toEqual([]);
    expect(
      englishWordsIn(
        'Il segreto «old secret» ha il codice <code style="x">stuck_switched</code>, verifica in due passaggi',
      ),
    ).toEqual([]);
  });
});
