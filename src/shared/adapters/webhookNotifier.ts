// The optional webhook channel (ALERT_WEBHOOK_URL): one JSON POST with a bounded time, so a slow or dead
// endpoint can neither hold the monitor run nor block the mail.
export const WEBHOOK_TIMEOUT_MS = 10_000;

export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';

  /** `http_<status>`, `timeout` or `network`: never the URL (it may embed a Teams key) or the response body. */
  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`webhook delivery failed: ${code}`, options);
  }
}

export interface WebhookNotifier {
  notify(payload: unknown): Promise<void>;
}

export function createWebhookNotifier(url: string, options: { timeoutMs?: number } = {}): WebhookNotifier {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  return {
    async notify(payload) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
          body: JSON.stringify(payload),
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        throw new WebhookDeliveryError(timedOut ? 'timeout' : 'network', { cause: error });
      }
      // Drain the body so the connection is released; its content is never read into logs.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) throw new WebhookDeliveryError(`http_${response.status}`);
    },
  };
}
