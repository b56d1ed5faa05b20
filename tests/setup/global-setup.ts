// Runs once per test run, before the workers start: one local CA for the whole run. Worker forks
// and their child processes inherit the environment set here (FACTS.md: NODE_EXTRA_CA_CERTS is read
// at process start, so it must be set before any fork exists).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalCa } from '../../dev/cloud/tls.js';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const previousBundle = process.env.NODE_EXTRA_CA_CERTS;
  const previousDir = process.env.LOCAL_CLOUD_CA_DIR;
  const dir = await mkdtemp(join(tmpdir(), 'keyrelay-test-ca-'));
  const ca = await ensureLocalCa(dir);
  process.env.NODE_EXTRA_CA_CERTS = ca.bundlePath;
  process.env.LOCAL_CLOUD_CA_DIR = ca.dir;
  return async () => {
    restore('NODE_EXTRA_CA_CERTS', previousBundle);
    restore('LOCAL_CLOUD_CA_DIR', previousDir);
    await rm(dir, { recursive: true, force: true });
  };
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
