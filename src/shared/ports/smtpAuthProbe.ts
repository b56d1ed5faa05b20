// The SMTP AUTH check: can a mailbox submit with AUTH XOAUTH2? Its answer is a state, never a failure.
import type { SmtpAuthCheck } from '../domain/connect/smtpAuth.js';

export interface SmtpAuthProbe {
  /** `accessToken`: an Outlook-audience token with SMTP.Send for `mailbox`. */
  check(mailbox: string, accessToken: string): Promise<SmtpAuthCheck>;
}
