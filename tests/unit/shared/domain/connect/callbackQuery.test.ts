import { describe, expect, it } from 'vitest';
import { parseCallbackQuery } from '#src/shared/domain/connect/callbackQuery.js';

const STATE = 'Yk9oQ2x2bV9xV3B0c0Z0a3pJc0RtN2dYb2t0Q2ZkS1U';
const CODE = '0.AXoA-authorization-code.AgABAAIAAAD--DLA3VO7QrddgJg7WevrAgDs_wUA9P8';

function reasonOf(rawSearch: string): string | undefined {
  const result = parseCallbackQuery(rawSearch);
  return result.kind === 'invalid' ? result.reason : undefined;
}

describe('parseCallbackQuery: success responses', () => {
  it('returns code and state', () => {
    expect(parseCallbackQuery(`?code=${CODE}&state=${STATE}`)).toEqual({ kind: 'code', code: CODE, state: STATE });
  });

  it('accepts the query without its leading ?', () => {
    expect(parseCallbackQuery(`code=${CODE}&state=${STATE}`)).toEqual({ kind: 'code', code: CODE, state: STATE });
  });

  it('ignores unknown extras (session_state, iss, client_info)', () => {
    const raw = `?code=${CODE}&state=${STATE}&session_state=0a1b2c3d-0000-4000-8000-000000000000&iss=https%3A%2F%2Flogin.microsoftonline.com%2Fx%2Fv2.0&client_info=eyJ1aWQiOiJ4In0`;
    expect(parseCallbackQuery(raw)).toEqual({ kind: 'code', code: CODE, state: STATE });
  });

  it('decodes percent-encoding in the code', () => {
    expect(parseCallbackQuery(`?code=a%2Fb%3D&state=${STATE}`)).toEqual({ kind: 'code', code: 'a/b=', state: STATE });
  });
});

describe('parseCallbackQuery: upstream errors', () => {
  it('returns the error word and the numeric AADSTS code only', () => {
    const raw = `?error=invalid_client&error_description=AADSTS7000215%3A+Invalid+client+secret+provided.%0D%0ATrace+ID%3A+abc&state=${STATE}`;
    expect(parseCallbackQuery(raw)).toEqual({ kind: 'error', error: 'invalid_client', aadsts: 7000215, state: STATE });
  });

  it('keeps nothing of HTML in error_description', () => {
    const description = encodeURIComponent('<script>alert(document.cookie)</script><b>AADSTS65001</b>: consent');
    const result = parseCallbackQuery(`?error=consent_required&error_description=${description}&state=${STATE}`);
    expect(result).toEqual({ kind: 'error', error: 'consent_required', aadsts: 65001, state: STATE });
    expect(JSON.stringify(result)).not.toMatch(/script|alert|cookie|</);
  });

  it('returns an error without AADSTS code when the description has none', () => {
    expect(
      parseCallbackQuery(
        `?error=access_denied&error_description=The+user+cancelled&error_subcode=cancel&state=${STATE}`,
      ),
    ).toEqual({
      kind: 'error',
      error: 'access_denied',
      errorSubcode: 'cancel',
      state: STATE,
    });
  });

  it('returns an error even without state', () => {
    expect(parseCallbackQuery('?error=server_error')).toEqual({ kind: 'error', error: 'server_error' });
  });

  it('drops an error_subcode that is not a plain word', () => {
    expect(parseCallbackQuery('?error=access_denied&error_subcode=%3Cb%3E')).toEqual({
      kind: 'error',
      error: 'access_denied',
    });
  });

  it('rejects an error word with markup', () => expect(reasonOf('?error=%3Cscript%3E')).toBe('malformed_error'));
  it('rejects a response carrying both code and error', () =>
    expect(reasonOf(`?code=${CODE}&error=access_denied&state=${STATE}`)).toBe('code_and_error'));
});

describe('parseCallbackQuery: admin consent responses', () => {
  it('returns a granted admin consent with its tenant', () => {
    expect(
      parseCallbackQuery(`?admin_consent=True&tenant=72F988BF-86F1-41AF-91AB-2D7CD011DB47&state=${STATE}`),
    ).toEqual({
      kind: 'adminConsent',
      granted: true,
      tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      state: STATE,
    });
  });

  it('returns a refused admin consent from its error', () => {
    expect(
      parseCallbackQuery('?admin_consent=True&error=access_denied&error_description=AADSTS65004%3A+declined'),
    ).toEqual({
      kind: 'adminConsent',
      granted: false,
      error: 'access_denied',
      aadsts: 65004,
    });
  });

  it('rejects a tenant that is not a GUID', () =>
    expect(reasonOf('?admin_consent=True&tenant=%3Cx%3E')).toBe('malformed_tenant'));
});

describe('parseCallbackQuery: rejected input', () => {
  it('rejects a duplicated state', () =>
    expect(reasonOf(`?code=${CODE}&state=${STATE}&state=other`)).toBe('duplicated_parameter'));
  it('rejects a duplicated code', () =>
    expect(reasonOf(`?code=${CODE}&code=other&state=${STATE}`)).toBe('duplicated_parameter'));
  it('rejects a duplicated name hidden by percent-encoding', () =>
    expect(reasonOf(`?code=${CODE}&state=${STATE}&%73tate=x`)).toBe('duplicated_parameter'));
  it('rejects an 8 KB state', () => expect(reasonOf(`?code=${CODE}&state=${'s'.repeat(8192)}`)).toBe('state_too_long'));
  it('rejects an 8 KB state on an error response too', () =>
    expect(reasonOf(`?error=access_denied&state=${'s'.repeat(8192)}`)).toBe('state_too_long'));
  it('accepts a 512-character state', () =>
    expect(parseCallbackQuery(`?code=${CODE}&state=${'s'.repeat(512)}`).kind).toBe('code'));
  it('rejects a code over 4096 characters', () =>
    expect(reasonOf(`?code=${'c'.repeat(4097)}&state=${STATE}`)).toBe('code_too_long'));
  it('rejects a query over 16 KB', () =>
    expect(reasonOf(`?code=${CODE}&state=${STATE}&pad=${'p'.repeat(16 * 1024)}`)).toBe('query_too_long'));
  it('rejects invalid UTF-8 (%C3%28)', () => expect(reasonOf(`?code=${CODE}&state=%C3%28`)).toBe('invalid_utf8'));
  it('rejects an overlong UTF-8 encoding (%C0%AF)', () =>
    expect(reasonOf(`?code=%C0%AF&state=${STATE}`)).toBe('invalid_utf8'));
  it('rejects a truncated percent escape', () =>
    expect(reasonOf(`?code=${CODE}&state=abc%2`)).toBe('bad_percent_encoding'));
  it('rejects a percent sign without hex digits', () =>
    expect(reasonOf(`?code=${CODE}&state=abc%zz`)).toBe('bad_percent_encoding'));
  it('rejects raw non-ASCII characters', () =>
    expect(reasonOf(`?code=${CODE}&state=caffè`)).toBe('bad_percent_encoding'));
  it('rejects a missing state', () => expect(reasonOf(`?code=${CODE}`)).toBe('missing_state'));
  it('rejects an empty state', () => expect(reasonOf(`?code=${CODE}&state=`)).toBe('missing_state'));
  it('rejects a missing code', () => expect(reasonOf(`?state=${STATE}`)).toBe('missing_code'));
  it('rejects an empty query', () => expect(reasonOf('')).toBe('missing_state'));
  it('rejects a state with a control character', () =>
    expect(reasonOf(`?code=${CODE}&state=a%0Ab`)).toBe('malformed_state'));
  it('rejects a code with a space', () => expect(reasonOf(`?code=a+b&state=${STATE}`)).toBe('malformed_code'));
});
