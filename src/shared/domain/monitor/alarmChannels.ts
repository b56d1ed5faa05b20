// Which alert channels still reach the admins when Entra ID refuses keyrelay's client secret (DESIGN §6):
// the webhook, and mail sent with keyrelay's managed identity. Mail from a connected mailbox needs that
// mailbox's token, which needs the very secret that was refused.
export type AlarmChannel = 'webhook' | 'managed-identity-mail';

export interface AlarmChannelSettings {
  alertMailAuth: 'connected-mailbox' | 'managed-identity';
  alertRecipients: readonly string[];
  alertSender?: string | undefined;
  alertWebhookUrl?: string | undefined;
}

export function alarmChannelsWithoutSecret(settings: AlarmChannelSettings): AlarmChannel[] {
  const mailConfigured = settings.alertSender !== undefined && settings.alertRecipients.length > 0;
  return [
    ...(settings.alertWebhookUrl ? (['webhook'] as const) : []),
    ...(mailConfigured && settings.alertMailAuth === 'managed-identity' ? (['managed-identity-mail'] as const) : []),
  ];
}
