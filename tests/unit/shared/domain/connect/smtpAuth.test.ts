import { describe, expect, it } from 'vitest';
import { smtpAuthAdvice, smtpAuthCheckOf } from '#src/shared/domain/connect/smtpAuth.js';

const DISABLED =
  '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.';

describe('smtpAuthCheckOf', () => {
  it("reads Exchange's 535 5.7.139 as SMTP AUTH disabled", () => {
    expect(smtpAuthCheckOf({ responseCode: 535, response: DISABLED })).toEqual({ state: 'disabled', code: '5.7.139' });
  });

  it('keeps 5.7.3 (shared mailbox, token not taken) as unknown with its code, and no answer as smtp_unreachable', () => {
    expect(smtpAuthCheckOf({ responseCode: 535, response: '535 5.7.3 Authentication unsuccessful' })).toEqual({
      state: 'unknown',
      code: '5.7.3',
    });
    expect(smtpAuthCheckOf(undefined)).toEqual({ state: 'unknown', code: 'smtp_unreachable' });
  });
});

describe('smtpAuthAdvice', () => {
  it('names the exact fix for 5.7.139: the Exchange admin center and Set-CASMailbox for that mailbox', () => {
    const advice = smtpAuthAdvice('en', 'anna@contoso.com', { state: 'disabled', code: '5.7.139' });
    expect(advice.fix).toContain('Exchange admin center');
    expect(advice.fix).toContain('Set-CASMailbox -Identity anna@contoso.com -SmtpClientAuthenticationDisabled $false');
  });

  it('explains the shared-mailbox trap for 5.7.3', () => {
    expect(smtpAuthAdvice('it', 'info@contoso.com', { state: 'unknown', code: '5.7.3' }).fix).toContain(
      'casella condivisa',
    );
  });
});
