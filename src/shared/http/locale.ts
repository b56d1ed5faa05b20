import type { Locale } from '../config.js';

const DEFAULT_LOCALE: Locale = 'it';

/**
 * The page language from an Accept-Language header (RFC 9110 §12.5.4): the supported language with the
 * highest weight, Italian when the browser names neither (the product's users are Italian).
 */
export function pickLocale(acceptLanguage: string | null | undefined): Locale {
  let best: { locale: Locale; weight: number } | undefined;
  for (const entry of (acceptLanguage ?? '').split(',')) {
    const [range = '', ...parameters] = entry.trim().toLowerCase().split(';');
    const language = range.trim().split('-')[0];
    if (language !== 'it' && language !== 'en') continue;
    const weightParameter = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith('q='));
    const weight = weightParameter === undefined ? 1 : Number(weightParameter.slice(2));
    if (!Number.isFinite(weight) || weight <= 0) continue;
    if (best === undefined || weight > best.weight) best = { locale: language, weight };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}
