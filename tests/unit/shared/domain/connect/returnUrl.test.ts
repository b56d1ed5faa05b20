import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isUsableAllowedReturnUrl, validateReturnUrl } from '#src/shared/domain/connect/returnUrl.js';

const ALLOWED = ['https://app.actnow.it', 'https://admin.actnow.it/settings/', 'http://localhost:3000'];

function rejectionOf(raw: string, allowed: readonly string[] = ALLOWED): string | undefined {
  const result = validateReturnUrl(raw, allowed);
  return result.ok ? undefined : result.reason;
}

// Go's url.QueryUnescape, as oauth2-proxy applies it to each payload line: `+` is a space, `%XX` a byte.
function queryUnescape(line: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (char === '%') {
      const hex = line.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`bad escape in ${line}`);
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (char === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(char ?? '', 'utf8'));
    }
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

const fixture = readFileSync(new URL('../../../../fixtures/openredirects.txt', import.meta.url), 'utf8');
// Line 1 credits oauth2-proxy; the file ends with a newline.
const payloads = fixture.split('\n').slice(1, -1);

describe('validateReturnUrl against the oauth2-proxy open-redirect corpus', () => {
  const corpusAllowList = ['https://www.whitelisteddomain.tld'];

  it('reads all 559 payloads from the fixture', () => {
    expect(payloads).toHaveLength(559);
  });

  it.each(payloads.map((line, index) => [index + 2, line] as const))(
    'rejects payload on line %i: %s',
    (_line, payload) => {
      expect(validateReturnUrl(queryUnescape(payload), corpusAllowList).ok).toBe(false);
    },
  );

  it('accepts the allow-listed origin itself, so the corpus is rejected for its tricks and not for an empty allow-list', () => {
    expect(validateReturnUrl('https://www.whitelisteddomain.tld/', corpusAllowList)).toEqual({
      ok: true,
      url: 'https://www.whitelisteddomain.tld/',
    });
  });
});

describe('validateReturnUrl accepts', () => {
  it('a URL on an allowed origin', () => {
    expect(validateReturnUrl('https://app.actnow.it/mail/accounts', ALLOWED)).toEqual({
      ok: true,
      url: 'https://app.actnow.it/mail/accounts',
    });
  });

  it('the bare allowed origin, normalised with a trailing slash', () => {
    expect(validateReturnUrl('https://app.actnow.it', ALLOWED)).toEqual({ ok: true, url: 'https://app.actnow.it/' });
  });

  it('a path under an allowed prefix, keeping its query', () => {
    expect(validateReturnUrl('https://admin.actnow.it/settings/mail?tab=smtp&next=%2Fhome', ALLOWED)).toEqual({
      ok: true,
      url: 'https://admin.actnow.it/settings/mail?tab=smtp&next=%2Fhome',
    });
  });

  it('the prefix path itself without its trailing slash', () => {
    expect(validateReturnUrl('https://admin.actnow.it/settings', ALLOWED).ok).toBe(true);
  });

  it('an upper-case host and an explicit default port, normalised', () => {
    expect(validateReturnUrl('https://APP.ActNow.it:443/x', ALLOWED)).toEqual({
      ok: true,
      url: 'https://app.actnow.it/x',
    });
  });

  it('dot segments that stay inside the prefix', () => {
    expect(validateReturnUrl('https://admin.actnow.it/settings/a/../b', ALLOWED)).toEqual({
      ok: true,
      url: 'https://admin.actnow.it/settings/b',
    });
  });

  it('http on localhost when the allowed entry is http://localhost', () => {
    expect(validateReturnUrl('http://localhost:3000/done', ALLOWED)).toEqual({
      ok: true,
      url: 'http://localhost:3000/done',
    });
  });

  it('http on 127.0.0.1 when the allowed entry is http://127.0.0.1', () => {
    expect(validateReturnUrl('http://127.0.0.1:8080/cb', ['http://127.0.0.1:8080']).ok).toBe(true);
  });
});

describe('validateReturnUrl rejects', () => {
  it('an empty value', () => expect(rejectionOf('')).toBe('empty'));
  it('a relative path', () => expect(rejectionOf('/settings')).toBe('not_absolute'));
  it('a protocol-relative URL', () => expect(rejectionOf('//evil.example')).toBe('not_absolute'));
  it('a slash-backslash URL', () => expect(rejectionOf('/\\evil.example')).toBe('forbidden_characters'));
  it('a backslash anywhere', () =>
    expect(rejectionOf('https://app.actnow.it\\@evil.example/')).toBe('forbidden_characters'));
  it('a raw tab', () => expect(rejectionOf('https://app.actnow.it/\tx')).toBe('forbidden_characters'));
  it('a raw space', () => expect(rejectionOf('https://app.actnow.it/a b')).toBe('forbidden_characters'));
  it('%09 that becomes a tab after one decode', () =>
    expect(rejectionOf('https://app.actnow.it/%09/evil.example')).toBe('forbidden_characters'));
  it('%0d%0a in the query', () =>
    expect(rejectionOf('https://app.actnow.it/?a=%0d%0aSet-Cookie:x')).toBe('forbidden_characters'));
  it('%5c that becomes a backslash after one decode', () =>
    expect(rejectionOf('https://app.actnow.it/%5cevil.example')).toBe('forbidden_characters'));
  it('a zero-width space', () =>
    expect(rejectionOf('https://app.actnow.it\u200b.evil.example/')).toBe('forbidden_characters'));
  it('a no-break space', () => expect(rejectionOf('https://app.actnow.it/\u00a0')).toBe('forbidden_characters'));
  it('broken percent-encoding', () => expect(rejectionOf('https://app.actnow.it/%E0%A4%A')).toBe('malformed_encoding'));
  it('javascript:', () => expect(rejectionOf('javascript:alert(1)')).toBe('scheme_not_allowed'));
  it('data:', () => expect(rejectionOf('data:text/html,<script>alert(1)</script>')).toBe('scheme_not_allowed'));
  it('https without slashes', () => expect(rejectionOf('https:app.actnow.it/')).toBe('scheme_not_allowed'));
  it('https with three slashes', () => expect(rejectionOf('https:///app.actnow.it/')).toBe('scheme_not_allowed'));
  it('http when the allowed entry is https', () => expect(rejectionOf('http://app.actnow.it/')).toBe('not_allowed'));
  it('http even when a non-loopback http entry is configured', () => {
    expect(rejectionOf('http://app.actnow.it/', ['http://app.actnow.it'])).toBe('not_allowed');
  });
  it('userinfo that hides the real host', () =>
    expect(rejectionOf('https://app.actnow.it@evil.example/')).toBe('userinfo_not_allowed'));
  it('user and password on an allowed host', () =>
    expect(rejectionOf('https://user:pass@app.actnow.it/')).toBe('userinfo_not_allowed'));
  it('an empty userinfo', () => expect(rejectionOf('https://@app.actnow.it/')).toBe('userinfo_not_allowed'));
  it('a percent-encoded host', () => expect(rejectionOf('https://%61pp.actnow.it/')).toBe('encoded_characters'));
  it('encoded dot segments', () =>
    expect(rejectionOf('https://admin.actnow.it/settings/%2e%2e/billing')).toBe('encoded_characters'));
  it('an encoded slash in the path', () =>
    expect(rejectionOf('https://admin.actnow.it/settings%2f..%2fbilling')).toBe('encoded_characters'));
  it('double encoding in the path', () =>
    expect(rejectionOf('https://app.actnow.it/%252f%252fevil.example')).toBe('encoded_characters'));
  it('dot segments that leave the prefix', () =>
    expect(rejectionOf('https://admin.actnow.it/settings/../billing')).toBe('not_allowed'));
  it('a path that only shares the prefix text, not its segment', () =>
    expect(rejectionOf('https://admin.actnow.it/settings-evil')).toBe('not_allowed'));
  it('another path on a prefix-only host', () =>
    expect(rejectionOf('https://admin.actnow.it/billing')).toBe('not_allowed'));
  it('a subdomain of an allowed host', () => expect(rejectionOf('https://evil.app.actnow.it/')).toBe('not_allowed'));
  it('an allowed host as a prefix of another domain', () =>
    expect(rejectionOf('https://app.actnow.it.evil.example/')).toBe('not_allowed'));
  it('a trailing-dot host', () => expect(rejectionOf('https://app.actnow.it./')).toBe('not_allowed'));
  it('another port', () => expect(rejectionOf('https://app.actnow.it:8443/')).toBe('not_allowed'));
  it('a look-alike Unicode host', () => expect(rejectionOf('https://аpp.actnow.it/')).toBe('not_allowed'));
  it('everything when nothing is allowed', () => expect(rejectionOf('https://app.actnow.it/', [])).toBe('not_allowed'));
  it('a URL longer than 2048 characters', () => {
    expect(rejectionOf(`https://app.actnow.it/${'a'.repeat(2048)}`)).toBe('too_long');
  });
  it('a URL under 2048 characters as received that grows past 2048 once normalised (1000 × é)', () => {
    const raw = `https://app.actnow.it/${'é'.repeat(1000)}`;
    expect(raw.length).toBeLessThanOrEqual(2048);
    expect(rejectionOf(raw)).toBe('too_long');
  });
});

describe('isUsableAllowedReturnUrl', () => {
  it('accepts https origins, https prefixes and loopback http', () => {
    expect(
      ['https://app.actnow.it', 'https://app.actnow.it/settings/', 'http://localhost:3000'].map(
        isUsableAllowedReturnUrl,
      ),
    ).toEqual([true, true, true]);
  });

  it('refuses plain http on a public host, userinfo, queries and relative entries', () => {
    expect(
      ['http://app.actnow.it', 'https://u@app.actnow.it', 'https://app.actnow.it/?x=1', '/settings'].map(
        isUsableAllowedReturnUrl,
      ),
    ).toEqual([false, false, false, false]);
  });
});
