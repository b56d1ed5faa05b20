// The SMTP AUTH check: EHLO, STARTTLS, AUTH XOAUTH2, QUIT against SMTP_ENDPOINT with nodemailer's
// verify(); no mail is sent. Its answer is a state, never a failure: a probe that cannot reach the server
// must not fail a connect.
import nodemailer from 'nodemailer';
import { smtpAuthCheckOf } from '../domain/connect/smtpAuth.js';
import type { SmtpAuthProbe } from '../ports/index.js';

/** Each SMTP step (connect, greeting, every reply) may take this long before the check answers unknown. */
const STEP_TIMEOUT_MS = 10_000;

export function createSmtpAuthProbe(endpoint: { host: string; port: number }): SmtpAuthProbe {
  return {
    async check(mailbox, accessToken) {
      const transport = nodemailer.createTransport({
        host: endpoint.host,
        port: endpoint.port,
        secure: false,
        requireTLS: true,
        auth: { type: 'OAuth2', user: mailbox, accessToken },
        connectionTimeout: STEP_TIMEOUT_MS,
        greetingTimeout: STEP_TIMEOUT_MS,
        socketTimeout: STEP_TIMEOUT_MS,
      });
      try {
        await transport.verify();
        return { state: 'ok' };
      } catch (error) {
        const reply = error as { responseCode?: number; response?: string };
        return smtpAuthCheckOf(
          typeof reply.responseCode === 'number'
            ? {
                responseCode: reply.responseCode,
                ...(typeof reply.response === 'string' && { response: reply.response }),
              }
            : undefined,
        );
      } finally {
        transport.close();
      }
    },
  };
}
