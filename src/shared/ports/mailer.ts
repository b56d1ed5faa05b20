// Outgoing mail (Graph sendMail) and the alert channels the monitor sends through.

export interface MailAttachment {
  name: string;
  contentType: string;
  /** Base64 content. */
  contentBytes: string;
}

export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  html: string;
  attachments?: MailAttachment[];
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** Sends the digest mail; throws when the mail was not accepted. */
export interface AlertMailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** The optional second channel; throws when the webhook did not accept the payload. */
export interface AlertWebhook {
  notify(payload: unknown): Promise<void>;
}
