// The alert hook for "Entra ID refuses keyrelay's own credential" (invalid_client after the one reload):
// mail cannot flow until an admin or the rotation fixes it, so it is recorded where the monitor and the
// status page read run reports, at most once per code and hour (the token route may hit it thousands
// of times), and the instance that records it tells the admins at once through every channel that does
// not need the refused secret: the webhook, and mail sent with keyrelay's managed identity (DESIGN §6).
// A mailbox's delegated mail would need a token, which needs the very secret that was refused.
import {
  type AlertMailer,
  type AlertWebhook,
  type RunReportStore,
  StoreConflictError,
} from '#src/shared/ports/index.js';
import type { Clock } from '#src/shared/domain/clock.js';
import { errorName } from '#src/shared/errors.js';
import { renderCredentialAlarm } from '#src/shared/domain/monitor/credentialAlarmMessage.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import type { Logger } from '#src/shared/logger.js';

/** Channels that work without the client secret; each optional. */
export interface CredentialAlarmChannels {
  appId: string;
  locale: Locale;
  /** ALERT_TIME_ZONE: the alarm says since when, in this zone. */
  timeZone: string;
  webhook?: AlertWebhook;
  /** Only a mailer that authenticates with keyrelay's Azure identity (ALERT_MAIL_AUTH=managed-identity). */
  mail?: { mailer: AlertMailer; from: string; to: readonly string[] };
}

export interface CredentialAlarm {
  /** `code` is a stable error code (e.g. `AADSTS7000215`); never a secret. Never throws. */
  raise(code: string): Promise<void>;
}

/** Run reports whose runId starts with this are alarms, not monitor runs. */
export const CREDENTIAL_ALARM_RUN_PREFIX = 'credential-alarm:';

export function credentialAlarmRunId(code: string, at: Date): string {
  return `${CREDENTIAL_ALARM_RUN_PREFIX}${code}:${at.toISOString().slice(0, 13)}`;
}

export function createRunReportCredentialAlarm(
  runReports: RunReportStore,
  clock: Clock,
  logger: Logger,
  channels?: CredentialAlarmChannels,
): CredentialAlarm {
  async function notify(code: string, at: Date): Promise<string[]> {
    if (!channels) return [];
    const message = renderCredentialAlarm(
      { appId: channels.appId, code, at },
      { locale: channels.locale, timeZone: channels.timeZone },
    );
    const { webhook, mail } = channels;
    const deliveries: Array<Promise<string>> = [];
    if (webhook) deliveries.push(webhook.notify(message.webhook).then(() => 'webhook'));
    if (mail) {
      deliveries.push(
        mail.mailer
          .send({ from: mail.from, to: [...mail.to], subject: message.subject, html: message.html, attachments: [] })
          .then(() => 'mail'),
      );
    }
    const results = await Promise.allSettled(deliveries);
    for (const result of results) {
      if (result.status === 'rejected')
        logger.error('token.credential_alarm_not_sent', { code, reason: errorName(result.reason) });
    }
    return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }

  /** Alarms this instance raised (or is raising) in the current hour: a repeat costs no Table write. */
  const raisedThisHour = new Set<string>();
  let currentHour = '';

  return {
    async raise(code) {
      const now = clock.now();
      const runId = credentialAlarmRunId(code, now);
      const hour = now.toISOString().slice(0, 13);
      if (hour !== currentHour) {
        currentHour = hour;
        raisedThisHour.clear();
      }
      // Remembered before the write, so parallel requests share it.
      if (raisedThisHour.has(runId)) return;
      raisedThisHour.add(runId);
      logger.error('token.credential_alarm', { code });
      try {
        await runReports.start(runId, now);
      } catch (error) {
        // Already raised within this hour by another instance, which tells the admins.
        if (error instanceof StoreConflictError) return;
        // Not recorded: the next raise tries again.
        raisedThisHour.delete(runId);
        logger.error('token.credential_alarm_not_recorded', { code, reason: errorName(error) });
        return;
      }
      const sentThrough = await notify(code, now);
      await runReports
        .finish(runId, {
          finishedAt: clock.now(),
          counts: { credentialAlarms: 1, credentialAlarmChannels: sentThrough.length },
          errors: [
            `credential_rejected:${code}`,
            ...(channels && sentThrough.length === 0 ? ['credential_alarm_not_sent'] : []),
          ],
        })
        .catch((error: unknown) =>
          logger.error('token.credential_alarm_not_recorded', { code, reason: errorName(error) }),
        );
    },
  };
}
