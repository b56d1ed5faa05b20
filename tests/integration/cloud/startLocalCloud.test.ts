// startLocalCloud: all servers come up (start time printed; the < 3 s goal is measured by `npm run bench`), the settings point at them, the control API works over
// HTTPS, and stop() releases every port.
import { SecretClient } from '@azure/keyvault-secrets';
import { ClientSecretCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { CONTOSO_TENANT_ID, KEYRELAY_APP_ID, startLocalCloud } from '../../../dev/cloud/index.js';
import { takeNetworkViolations } from '../../setup/network-guard.js';

describe('startLocalCloud', () => {
  it('starts Entra, Graph, Key Vault, control and Azurite with consistent settings and stops cleanly', async () => {
    const startedAt = performance.now();
    const local = await startLocalCloud({ azurite: true, publicBaseUrl: 'https://keyrelay.test', seedKeyVault: true });
    const startMs = performance.now() - startedAt;
    const urls = [local.urls.entra, local.urls.graph, local.urls.keyVault, local.urls.control];
    try {
      expect(local.settings).toMatchObject({
        OAUTH_CLIENT_ID: KEYRELAY_APP_ID,
        AZURE_TENANT_ID: CONTOSO_TENANT_ID,
        AZURE_AUTHORITY_HOST: local.urls.entra,
        GRAPH_ENDPOINT: local.urls.graph,
        PUBLIC_BASE_URL: 'https://keyrelay.test',
      });
      expect(local.settings.AzureWebJobsStorage).toContain('TableEndpoint=http://127.0.0.1:');
      const discovery = await fetch(`${local.urls.authority(CONTOSO_TENANT_ID)}/v2.0/.well-known/openid-configuration`);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(
        `${local.urls.entra}/${CONTOSO_TENANT_ID}/v2.0`,
      );

      // seedKeyVault: the real SDK reads the initial secret, tagged with the credential's keyId.
      const credential = new ClientSecretCredential(
        CONTOSO_TENANT_ID,
        local.settings.AZURE_CLIENT_ID,
        local.settings.AZURE_CLIENT_SECRET,
        {
          authorityHost: local.urls.entra,
          disableInstanceDiscovery: true,
        },
      );
      const secrets = new SecretClient(local.settings.KEY_VAULT_URL, credential, {
        disableChallengeResourceVerification: true,
      });
      const secret = await secrets.getSecret(local.settings.OAUTH_CLIENT_SECRET_NAME);
      expect(secret.value).toBe(local.clientSecret);
      expect(secret.properties.tags).toMatchObject({
        appId: KEYRELAY_APP_ID,
        keyId: local.clientSecretKeyId,
        managedBy: 'keyrelay',
      });
    } finally {
      const stoppedAt = performance.now();
      await local.stop();
      console.log(
        `startLocalCloud (with Azurite): start ${startMs.toFixed(0)} ms, stop ${(performance.now() - stoppedAt).toFixed(0)} ms`,
      );
    }
    for (const url of urls) await expect(fetch(url)).rejects.toThrow();
  });

  it('serves the control API over HTTPS: faults, request log, credential end date, clock, state without secrets', async () => {
    const local = await startLocalCloud();
    try {
      const control = local.urls.control;
      const post = (path: string, body: unknown): Promise<Response> =>
        fetch(`${control}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });

      expect(
        (await post('/faults', { service: 'entra', route: 'keys', kind: 'status', status: 500, remaining: null }))
          .status,
      ).toBe(201);
      expect((await fetch(`${local.urls.authority()}/discovery/v2.0/keys`)).status).toBe(500);
      expect((await fetch(`${local.urls.authority()}/discovery/v2.0/keys`)).status).toBe(500);
      expect((await fetch(`${control}/faults`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${local.urls.authority()}/discovery/v2.0/keys`)).status).toBe(200);
      const log = (await (await fetch(`${control}/requests`)).json()) as { counts: Record<string, number> };
      expect(log.counts['entra keys']).toBe(3);

      const bad = await post('/faults', { service: 'nowhere', route: '', kind: 'status' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toBe('invalid_fault');

      const end = '2030-01-01T00:00:00.000Z';
      expect(
        (
          await post(`/applications/${KEYRELAY_APP_ID}/passwordCredentials/${local.clientSecretKeyId}/endDateTime`, {
            endDateTime: end,
          })
        ).status,
      ).toBe(204);
      expect((await post('/clock', { advanceMs: 86_400_000 })).status).toBe(200);
      expect((await post('/users/mario.rossi@contoso.onmicrosoft.com/revoke', {})).status).toBe(204);

      const stateText = await (await fetch(`${control}/state`)).text();
      const state = JSON.parse(stateText) as {
        clockOffsetMs: number;
        applications: { passwordCredentials: { endDateTime: string }[] }[];
      };
      expect(state.clockOffsetMs).toBe(86_400_000);
      expect(state.applications[0]!.passwordCredentials[0]!.endDateTime).toBe(end);
      expect(stateText).not.toContain(local.clientSecret);
      expect(stateText).not.toContain(local.settings.AZURE_CLIENT_SECRET);
      expect(stateText).not.toContain('secretSha256');
      expect(await (await fetch(`${control}/outbox`)).json()).toEqual([]);
    } finally {
      await local.stop();
    }
  });
});

describe('network guard', () => {
  it('refuses a connection to a non-loopback address and records it', async () => {
    await expect(
      fetch('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration'),
    ).rejects.toThrow();
    const violations = takeNetworkViolations();
    expect(violations.some((v) => v.includes('login.microsoftonline.com'))).toBe(true);
  });
});
