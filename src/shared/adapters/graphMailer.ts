// Sends mail through Graph sendMail. Delegated (the sender's own Mail.Send through /me) or app-only
// (/users/{sender}, app role Mail.Send scoped with Exchange RBAC for Applications).
import type { Client } from '@microsoft/microsoft-graph-client';
import { callGraph } from './graphClient.js';
import type { Mailer } from '../ports/index.js';

export function createGraphMailer(client: Client, mode: 'delegated' | 'app-only'): Mailer {
  return {
    async send(mail) {
      const path = mode === 'delegated' ? '/me/sendMail' : `/users/${encodeURIComponent(mail.from)}/sendMail`;
      await callGraph(
        () =>
          client.api(path).post({
            message: {
              subject: mail.subject,
              body: { contentType: 'HTML', content: mail.html },
              toRecipients: mail.to.map((address) => ({ emailAddress: { address } })),
              attachments: (mail.attachments ?? []).map((attachment) => ({
                '@odata.type': '#microsoft.graph.fileAttachment',
                name: attachment.name,
                contentType: attachment.contentType,
                contentBytes: attachment.contentBytes,
              })),
            },
            saveToSentItems: true,
          }) as Promise<unknown>,
      );
    },
  };
}
