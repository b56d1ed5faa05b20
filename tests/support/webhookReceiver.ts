// A local stand-in for a webhook endpoint (Teams or a JSON consumer): records every body it receives and
// answers with a fixed status.
import { createServer } from 'node:http';

export interface WebhookReceiver {
  url: string;
  /** The parsed JSON bodies received, in order. */
  bodies: unknown[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(status = 200): Promise<WebhookReceiver> {
  const bodies: unknown[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/teams`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
