// DESIGN §6, "alarms that do not depend on what broke": when Entra ID refuses keyrelay's client secret, the
// admins hear it at once — not at the next daily run — through the channels that do not need that secret
// (the webhook, mail with keyrelay's managed identity), at most once an hour. Real SDKs on the local cloud.
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '#src/shared/errors.js';
import { createTokenServiceFor } from '#src/shared/runtime/token.js';
import { CREDENTIAL_ALARM_RUN_PREFIX } from '#src/shared/services/token/credentialAlarm.js';
import { ageStoredAccessTokens, connectMailbox } from '../../support/connectMailbox.js';
import { startTestStack, type TestStack } from '../../support/stack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhookReceiver.js';

const MARIO = 'mario.rossi@contoso.onmicrosoft.com';

let stack: TestStack | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await receiver?.close();
  receiver = undefined;
});

async function refusedSecret(s: TestStack): Promise<void> {
  const mailbox = await connectMailbox(s, MARIO);
  await ageStoredAccessTokens(s, mailbox, -60);
  // Before and after the one reload of the secret: keyrelay's own credential is refused.
  s.local.cloud.injectFault({
    service: 'entra',
    route: 'token.refresh_token',
    kind: 'invalid_client',
    aadsts: 7000222,
    remaining: Infinity,
  });
}

describe('the client-secret alarm', () => {
  it('reaches the admins at once by webhook and managed-identity mail, once an hour however many requests fail', async () => {
    const hook = (receiver = await startWebhookReceiver());
    const s = (stack = await startTestStack({
      settings: {
        ALERT_MAIL_AUTH: 'managed-identity',
        ALERT_SENDER: MARIO,
        ALERT_WEBHOOK_URL: hook.url,
        ALERT_LOCALE: 'en',
      },
    }));
    await refusedSecret(s);
    const outboxBefore = s.local.cloud.outbox().length;

    for (const instance of [createTokenServiceFor(s.core), createTokenServiceFor(s.core)]) {
      await expect(instance.getToken({ mailbox: MARIO, resource: 'smtp' })).rejects.toBeInstanceOf(
        UpstreamUnavailableError,
      );
    }

    const mails = s.local.cloud.outbox().slice(outboxBefore);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.from).toBe(s.config.alertSender);
    expect(mails[0]?.message.subject).toBe(
      `[keyrelay] URGENT ${s.config.oauthClientId}: Entra ID refuses the client secret (AADSTS7000222)`,
    );
    expect(mails[0]?.message.toRecipients?.map((recipient) => recipient.emailAddress.address)).toEqual(
      s.config.alertRecipients,
    );
    expect(hook.bodies).toHaveLength(1);
    expect(hook.bodies[0]).toMatchObject({
      keyrelay: { type: 'keyrelay.credential_refused', code: 'AADSTS7000222', appId: s.config.oauthClientId },
    });
    const [alarm] = (await s.core.runReports.latest(20)).filter((report) =>
      report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX),
    );
    expect(alarm).toMatchObject({
      counts: { credentialAlarms: 1, credentialAlarmChannels: 2 },
      errors: ['credential_rejected:AADSTS7000222'],
    });
    const everything = JSON.stringify([mails, hook.bodies]);
    expect(everything).not.toContain(s.local.clientSecret);
  }, 60_000);

  it('with only the connected-mailbox mail (which needs the refused secret), no mail is attempted and the report says nobody was told', async () => {
    const s = (stack = await startTestStack({
      settings: { ALERT_MAIL_AUTH: 'connected-mailbox', ALERT_SENDER: MARIO },
    }));
    await refusedSecret(s);
    const outboxBefore = s.local.cloud.outbox().length;
    await expect(createTokenServiceFor(s.core).getToken({ mailbox: MARIO, resource: 'smtp' })).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    expect(s.local.cloud.outbox().length).toBe(outboxBefore);
    const [alarm] = (await s.core.runReports.latest(20)).filter((report) =>
      report.runId.startsWith(CREDENTIAL_ALARM_RUN_PREFIX),
    );
    expect(alarm?.errors).toEqual(['credential_rejected:AADSTS7000222', 'credential_alarm_not_sent']);
  }, 60_000);
});
