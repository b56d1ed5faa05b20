import { describe, expect, it } from 'vitest';
import { isLocale, pickLocale } from '#src/shared/presentation/locale.js';

describe('pickLocale', () => {
  it.each([
    [undefined, 'it'],
    ['', 'it'],
    ['de-DE,fr;q=0.8', 'it'],
    ['en-US,en;q=0.9', 'en'],
    ['it-IT,it;q=0.9,en;q=0.8', 'it'],
    ['en;q=0.5,it;q=0.9', 'it'],
    ['fr,en-GB;q=0.7', 'en'],
    ['en;q=0,it;q=0.1', 'it'],
    ['en;q=abc', 'it'],
  ])('picks %o -> %s (Italian unless the browser prefers English)', (header, expected) => {
    expect(pickLocale(header)).toBe(expected);
  });

  it('honours another fallback when the browser names neither language', () => {
    expect(pickLocale('de', 'en')).toBe('en');
  });

  it('knows exactly the two languages', () => {
    expect(['it', 'en', 'de', 'IT', ''].filter(isLocale)).toEqual(['it', 'en']);
  });
});
