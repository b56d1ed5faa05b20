// The two languages keyrelay speaks to people (DESIGN §4 ALERT_LOCALE): the one locale type of the code.
export const LOCALES = ['it', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const DEFAULT_LOCALE: Locale = 'it';

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/** The BCP 47 tag used for Intl formatting: British English writes `4 December 2026`, day first. */
export function intlTag(locale: Locale): string {
  return locale === 'it' ? 'it-IT' : 'en-GB';
}

/**
 * The page language from an Accept-Language header (RFC 9110 §12.5.4): the supported language with the
 * highest weight, `fallback` when the browser names neither (the product's users are Italian).
 */
export function pickLocale(acceptLanguage: string | null | undefined, fallback: Locale = DEFAULT_LOCALE): Locale {
  let best: { locale: Locale; weight: number } | undefined;
  for (const entry of (acceptLanguage ?? '').split(',')) {
    const [range = '', ...parameters] = entry.trim().toLowerCase().split(';');
    const language = range.trim().split('-')[0] ?? '';
    if (!isLocale(language)) continue;
    const weightParameter = parameters
      .map((parameter) => parameter.trim())
      .find((parameter) => parameter.startsWith('q='));
    const weight = weightParameter === undefined ? 1 : Number(weightParameter.slice(2));
    if (!Number.isFinite(weight) || weight <= 0) continue;
    if (best === undefined || weight > best.weight) best = { locale: language, weight };
  }
  return best?.locale ?? fallback;
}
