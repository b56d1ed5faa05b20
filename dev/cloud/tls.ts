// Local certificate authority for the emulators. Generated at run time (never committed): the SDKs
// talk real HTTPS to 127.0.0.1 and trust this CA through NODE_EXTRA_CA_CERTS, so no test ever turns
// TLS verification off. FACTS.md: the variable names ONE file read at process start, hence a bundle
// (system bundle + local CA) written before any Node process that needs it starts.
import { webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const CA_FILE = 'local-ca.json';
const BUNDLE_FILE = 'ca-bundle.pem';
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_DAYS = 365;
/** A CA this close to its end is replaced rather than reused. */
const CA_MIN_REMAINING_DAYS = 30;
const SERVER_CERT_LIFETIME_DAYS = 30;

export interface LocalCa {
  dir: string;
  certPem: string;
  keyPem: string;
  /** System bundle + this CA: the file to name in NODE_EXTRA_CA_CERTS. */
  bundlePath: string;
}

/** Key and certificate for `https.createServer`, valid for localhost, 127.0.0.1 and ::1. */
export interface ServerCertificate {
  key: string;
  cert: string;
}

interface StoredCa {
  certPem: string;
  keyPem: string;
}

/** Where the CLI keeps its CA between runs when no LOCAL_CLOUD_CA_DIR is given, so one NODE_EXTRA_CA_CERTS keeps working. */
export function defaultLocalCaDir(): string {
  return join(tmpdir(), 'keyrelay-local-cloud-ca');
}

/**
 * Returns the CA stored in `dir`, creating it when missing or about to expire. Safe when several
 * processes call it at once on the same dir: the first complete file wins (hard link is atomic).
 */
export async function ensureLocalCa(dir: string): Promise<LocalCa> {
  const absoluteDir = resolve(dir);
  await mkdir(absoluteDir, { recursive: true });
  const caPath = join(absoluteDir, CA_FILE);
  let stored = await readStoredCa(caPath);
  if (stored && !isUsable(stored.certPem)) {
    await rm(caPath, { force: true });
    stored = undefined;
  }
  if (!stored) {
    const created = await createCa();
    const tempPath = `${caPath}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tempPath, JSON.stringify(created), { mode: 0o600 });
    try {
      await link(tempPath, caPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(tempPath, { force: true });
    }
    stored = await readStoredCa(caPath);
    if (!stored) throw new Error(`local CA in ${absoluteDir} could not be read back`);
  }
  const bundlePath = join(absoluteDir, BUNDLE_FILE);
  await writeBundle(bundlePath, stored.certPem);
  return { dir: absoluteDir, certPem: stored.certPem, keyPem: stored.keyPem, bundlePath };
}

/** Issues a fresh server certificate signed by the CA (cheap: one P-256 key and one signature). */
export async function issueServerCertificate(ca: LocalCa): Promise<ServerCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    KEY_ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=localhost',
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + SERVER_CERT_LIFETIME_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { key: await exportPrivateKeyPem(keys.privateKey), cert: cert.toString('pem') };
}

async function createCa(): Promise<StoredCa> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=keyrelay local cloud test CA ${new Date(now).toISOString().slice(0, 10)}, O=keyrelay dev`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + CA_LIFETIME_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

async function readStoredCa(path: string): Promise<StoredCa | undefined> {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<StoredCa>;
  if (typeof parsed.certPem !== 'string' || typeof parsed.keyPem !== 'string') return undefined;
  return { certPem: parsed.certPem, keyPem: parsed.keyPem };
}

function isUsable(certPem: string): boolean {
  const cert = new x509.X509Certificate(certPem);
  return cert.notAfter.getTime() - Date.now() > CA_MIN_REMAINING_DAYS * DAY_MS;
}

async function writeBundle(bundlePath: string, caPem: string): Promise<void> {
  const current = process.env.NODE_EXTRA_CA_CERTS;
  // A child process already started with this bundle must not fold it into itself again.
  const systemPath = current && resolve(current) !== bundlePath && existsSync(current) ? current : SYSTEM_BUNDLE;
  const system = existsSync(systemPath) ? await readFile(systemPath, 'utf8') : '';
  const bundle = system.includes(caPem.trim()) ? system : `${system.trimEnd()}\n${caPem.trim()}\n`;
  const tempPath = `${bundlePath}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tempPath, bundle);
  await rename(tempPath, bundlePath);
}

async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER in DER
  return Buffer.from(bytes).toString('hex');
}
