// Headless Chromium for the e2e tests (playwright-core drives it). The executable comes from
// CHROMIUM_PATH, then Debian's /usr/bin/chromium (`.ci/run` installs it), then a browser downloaded by
// Playwright; without one the tests fail with a message that says how to get one — they never skip.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { chromium, type Browser } from 'playwright-core';

export function chromiumExecutable(environment: NodeJS.ProcessEnv = process.env): string {
  const candidates = [environment.CHROMIUM_PATH, '/usr/bin/chromium', safePlaywrightPath()].filter(
    (candidate): candidate is string => candidate !== undefined && candidate !== '',
  );
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      `No Chromium found (tried: ${candidates.join(', ') || 'nothing'}). Install it with \`apt-get install -y chromium\` ` +
        'or point CHROMIUM_PATH at a Chromium executable.',
    );
  }
  return found;
}

function safePlaywrightPath(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/**
 * base64(SHA-256(SubjectPublicKeyInfo)) of the certificate a local HTTPS server presents, verified
 * against `caPem` first. Chromium reads its trust from an NSS database that needs certutil to edit;
 * pinning the exact key of our own test servers instead trusts them and nothing else.
 */
export function serverSpkiHash(url: string, caPem: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: caPem }, () => {
      const certificate = new X509Certificate(socket.getPeerCertificate().raw);
      const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
      socket.end();
      resolve(createHash('sha256').update(spki).digest('base64'));
    });
    socket.once('error', reject);
  });
}

export interface ChromiumOptions {
  /** SPKI hashes (serverSpkiHash) of the local HTTPS servers the browser must trust. */
  trustedSpkiHashes: string[];
}

export function launchChromium(options: ChromiumOptions): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumExecutable(),
    headless: true,
    args: [
      // FACTS.md: headless Chromium runs as root only without the sandbox.
      '--no-sandbox',
      // Only 127.0.0.1 exists for the browser: any other host name fails to resolve (no network in tests).
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      `--ignore-certificate-errors-spki-list=${options.trustedSpkiHashes.join(',')}`,
    ],
  });
}
