import { describe, expect, it } from 'vitest';
import {
  buildExpiryIcs,
  escapeIcsText,
  foldIcsLine,
  type ExpiryEventInput,
} from '#src/shared/domain/monitor/calendarInvite.js';

const clock = { now: () => new Date('2026-09-25T06:00:00.123Z') };

function input(overrides: Partial<ExpiryEventInput> = {}): ExpiryEventInput {
  return {
    uid: 'app:11111111-2222-3333-4444-555555555555:password:old-key@keyrelay',
    summary: 'ActNow: client secret "ActNow" expires',
    description: 'Renew it; see the digest.',
    expiresAt: new Date('2026-11-24T10:00:00Z'),
    alarmsHoursBefore: [168, 24],
    timeZone: 'Europe/Rome',
    ...overrides,
  };
}

// RFC 5545 §3.1 grammar, checked independently of the builder.
const NAME = '(?:[A-Za-z0-9-]+)';
const PARAM = `${NAME}=(?:"[^"\\x00-\\x08\\x0A-\\x1F\\x7F]*"|[^";:,\\x00-\\x08\\x0A-\\x1F\\x7F]*)(?:,(?:"[^"]*"|[^";:,\\x00-\\x08\\x0A-\\x1F\\x7F]*))*`;
const CONTENT_LINE = new RegExp(`^(${NAME})((?:;${PARAM})*):([^\\x00-\\x08\\x0A-\\x1F\\x7F]*)$`);
const DUR_VALUE = /^[+-]?P(?:\d+W|(?:\d+D)?(?:T(?:\d+H(?:\d+M(?:\d+S)?)?|\d+M(?:\d+S)?|\d+S))?)$/;

interface ContentLine {
  name: string;
  params: string;
  value: string;
}

function parseIcs(text: string): ContentLine[] {
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  const physical = text.slice(0, -2).split('\r\n');
  for (const line of physical) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
  const unfolded = text
    .slice(0, -2)
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n');
  return unfolded.map((line) => {
    const match = CONTENT_LINE.exec(line);
    expect(match, `not a content line: ${line}`).not.toBeNull();
    return { name: match?.[1] ?? '', params: match?.[2] ?? '', value: match?.[3] ?? '' };
  });
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_all, char: string) => (char === 'n' || char === 'N' ? '\n' : char));
}

function component(lines: ContentLine[], name: string): ContentLine[][] {
  const found: ContentLine[][] = [];
  let depth = 0;
  let current: ContentLine[] | undefined;
  for (const line of lines) {
    if (line.name === 'BEGIN' && line.value === name) {
      depth += 1;
      current = [];
      continue;
    }
    if (line.name === 'END' && line.value === name) {
      depth -= 1;
      if (current) found.push(current);
      current = undefined;
      continue;
    }
    if (depth > 0) current?.push(line);
  }
  return found;
}

describe('buildExpiryIcs', () => {
  it('produces an RFC 5545 calendar with one event, DTSTAMP from the clock and a timed UTC start', () => {
    const lines = parseIcs(buildExpiryIcs(input(), clock));
    expect(lines[0]).toEqual({ name: 'BEGIN', params: '', value: 'VCALENDAR' });
    expect(lines.at(-1)).toEqual({ name: 'END', params: '', value: 'VCALENDAR' });
    expect(lines.find((line) => line.name === 'VERSION')?.value).toBe('2.0');
    expect(lines.find((line) => line.name === 'PRODID')?.value).toBeTruthy();
    const events = component(lines, 'VEVENT');
    expect(events).toHaveLength(1);
    const event = events[0] ?? [];
    expect(event.find((line) => line.name === 'UID')?.value).toBe(input().uid);
    expect(event.find((line) => line.name === 'DTSTAMP')?.value).toBe('20260925T060000Z');
    expect(event.find((line) => line.name === 'DTSTART')).toEqual({
      name: 'DTSTART',
      params: '',
      value: '20261124T100000Z',
    });
    expect(event.some((line) => line.name === 'DTEND')).toBe(false);
  });

  it('writes alarms as hour durations only, one VALARM per requested offset, each with its required properties', () => {
    const lines = parseIcs(buildExpiryIcs(input(), clock));
    const alarms = component(lines, 'VALARM');
    expect(alarms).toHaveLength(2);
    expect(alarms.map((alarm) => alarm.find((line) => line.name === 'TRIGGER')?.value)).toEqual(['-PT168H', '-PT24H']);
    for (const alarm of alarms) {
      const trigger = alarm.find((line) => line.name === 'TRIGGER')?.value ?? '';
      expect(trigger).toMatch(DUR_VALUE);
      expect(trigger).toMatch(/^-PT\d+H$/);
      expect(alarm.find((line) => line.name === 'ACTION')?.value).toBe('DISPLAY');
      expect(alarm.find((line) => line.name === 'DESCRIPTION')?.value).toBeTruthy();
    }
  });

  it('escapes commas, semicolons, backslashes and line breaks so the text round-trips', () => {
    const description = 'Step 1; open the portal, then C:\\path\r\nStep 2: paste\nStep 3\rdone';
    const summary = 'Scade; il segreto, «ActNow»';
    const lines = parseIcs(buildExpiryIcs(input({ description, summary }), clock));
    const event = component(lines, 'VEVENT')[0] ?? [];
    expect(unescapeText(event.find((line) => line.name === 'DESCRIPTION')?.value ?? '')).toBe(
      description.replace(/\r\n|\r/g, '\n'),
    );
    expect(unescapeText(event.find((line) => line.name === 'SUMMARY')?.value ?? '')).toBe(summary);
    expect(escapeIcsText('a,b;c\\d\ne')).toBe('a\\,b\\;c\\\\d\\ne');
  });

  it('folds long lines at 75 octets without splitting a multi-byte character', () => {
    const description = 'è'.repeat(200) + ' ' + 'x'.repeat(100);
    const text = buildExpiryIcs(input({ description }), clock);
    const lines = parseIcs(text);
    const event = component(lines, 'VEVENT')[0] ?? [];
    expect(unescapeText(event.find((line) => line.name === 'DESCRIPTION')?.value ?? '')).toBe(description);
    expect(text).not.toContain('\uFFFD');
    const folded = foldIcsLine(`DESCRIPTION:${'€'.repeat(60)}`);
    for (const physical of folded.split('\r\n')) expect(Buffer.byteLength(physical, 'utf8')).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, '')).toBe(`DESCRIPTION:${'€'.repeat(60)}`);
  });

  it('builds an all-day event on the expiry date as seen in Rome', () => {
    // 23:30 UTC on 24 November is already 25 November in Rome.
    const lines = parseIcs(buildExpiryIcs(input({ allDay: true, expiresAt: new Date('2026-11-24T23:30:00Z') }), clock));
    const event = component(lines, 'VEVENT')[0] ?? [];
    expect(event.find((line) => line.name === 'DTSTART')).toEqual({
      name: 'DTSTART',
      params: ';VALUE=DATE',
      value: '20261125',
    });
    expect(event.find((line) => line.name === 'DTEND')).toEqual({
      name: 'DTEND',
      params: ';VALUE=DATE',
      value: '20261126',
    });
  });

  it('rolls the all-day end date over month and year ends', () => {
    const lines = parseIcs(
      buildExpiryIcs(input({ allDay: true, timeZone: 'UTC', expiresAt: new Date('2026-12-31T10:00:00Z') }), clock),
    );
    expect(lines.find((line) => line.name === 'DTEND')?.value).toBe('20270101');
  });

  it('rejects alarms that are not whole positive hours, an empty uid and a malformed url', () => {
    expect(() => buildExpiryIcs(input({ alarmsHoursBefore: [1.5] }), clock)).toThrow(RangeError);
    expect(() => buildExpiryIcs(input({ alarmsHoursBefore: [0] }), clock)).toThrow(RangeError);
    expect(() => buildExpiryIcs(input({ uid: ' ' }), clock)).toThrow(RangeError);
    expect(() => buildExpiryIcs(input({ url: 'https://x\r\nATTACH:evil' }), clock)).toThrow(RangeError);
  });
});
