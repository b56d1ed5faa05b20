// Where a person reconnects a mailbox (DESIGN §3: 409 reconnect_required carries it; the digest, the status
// page and doctor link to it): /api/connect with the mailbox as login hint, so the sign-in must be its own.

export function reconnectUrl(publicBaseUrl: string, mailbox: string): string {
  return `${publicBaseUrl}/api/connect?loginHint=${encodeURIComponent(mailbox)}`;
}
