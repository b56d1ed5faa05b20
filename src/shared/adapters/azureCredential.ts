// keyrelay's own Azure identity (DESIGN §4): DefaultAzureCredential, i.e. the managed identity in
// Azure, `az login` on a workstation, the AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID
// environment against the local emulators. Graph management and Key Vault calls use it, never the
// monitored client secret.
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from '../config.js';
import { isMicrosoftAuthorityHost } from './cloudEndpoints.js';

export type AzureCredentialConfig = Pick<Config, 'authorityHost'>;

export function createAzureCredential(config: AzureCredentialConfig): TokenCredential {
  return new DefaultAzureCredential({
    authorityHost: config.authorityHost,
    // WARNING: instance discovery asks login.microsoftonline.com whether the authority is genuine;
    // it is off only for a configured authority host that is not a Microsoft cloud host (DESIGN §4).
    disableInstanceDiscovery: !isMicrosoftAuthorityHost(config.authorityHost),
  });
}
