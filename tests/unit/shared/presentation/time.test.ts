import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatShortDateTime, isTimeZone } from '#src/shared/presentation/time.js';

const summer = new Date('2026-07-04T06:00:00Z');
const winter = new Date('2026-12-04T23:30:00Z');

describe('presentation time', () => {
  it('prints a time with its zone, in the zone asked for', () => {
    expect(formatDateTime(summer, { locale: 'it', timeZone: 'Europe/Rome' })).toBe('4 luglio 2026, 08:00 CEST');
    expect(formatDateTime(summer, { locale: 'en', timeZone: 'UTC' })).toBe('4 July 2026, 06:00 UTC');
    expect(formatShortDateTime(winter, { locale: 'en', timeZone: 'Europe/Rome' })).toBe('5 Dec 2026, 00:30 CET');
  });

  it('takes the calendar date in the zone, not in UTC', () => {
    expect(formatDate(winter, { locale: 'it', timeZone: 'Europe/Rome' })).toBe('5 dicembre 2026');
    expect(formatDate(winter, { locale: 'it', timeZone: 'UTC' })).toBe('4 dicembre 2026');
  });

  it('knows IANA zones and refuses anything else', () => {
    expect(['Europe/Rome', 'UTC', 'America/New_York', 'Rome', '', 'CET+1'].filter(isTimeZone)).toEqual([
      'Europe/Rome',
      'UTC',
      'America/New_York',
    ]);
  });
});
