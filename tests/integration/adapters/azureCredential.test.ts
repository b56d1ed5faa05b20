// The adapter's DefaultAzureCredential gets tokens from the Entra emulator through the environment
// credential (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / AZURE_TENANT_ID), as it would in a deployment
// with a non-Microsoft authority host: no instance discovery, no test-only code path.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type StartedLocalCloud } from '../../../dev/cloud/index.js';
import { createAzureCredential } from '#src/shared/adapters/azureCredential.js';

const IDENTITY_VARIABLES = ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID'] as const;

let local: StartedLocalCloud;
const saved: Partial<Record<(typeof IDENTITY_VARIABLES)[number], string | undefined>> = {};

beforeAll(async () => {
  local = await startLocalCloud();
  for (const name of IDENTITY_VARIABLES) {
    saved[name] = process.env[name];
    const value = local.settings[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

afterAll(async () => {
  for (const name of IDENTITY_VARIABLES) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await local.stop();
});

describe('createAzureCredential', () => {
  it('gets a Key Vault token for the keyrelay identity from a local authority host through the environment', async () => {
    const credential = createAzureCredential({ authorityHost: local.settings.AZURE_AUTHORITY_HOST });
    const token = await credential.getToken('https://vault.azure.net/.default');
    expect(token?.token).toBeTruthy();
    const claims = await local.verifier.verify(token!.token, 'https://vault.azure.net');
    expect(claims).toMatchObject({ appid: local.settings.AZURE_CLIENT_ID, tid: local.settings.AZURE_TENANT_ID });
    expect(local.cloud.countRequests('entra', 'token.client_credentials')).toBe(1);
  });

  it('gets a Graph token carrying the identity app roles', async () => {
    const credential = createAzureCredential({ authorityHost: local.settings.AZURE_AUTHORITY_HOST });
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    expect(decodeJwt(token!.token).roles).toContain('Application.ReadWrite.OwnedBy');
  });
});
