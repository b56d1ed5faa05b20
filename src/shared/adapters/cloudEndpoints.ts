// Which endpoint hosts belong to a Microsoft cloud (public, US Government, China). DESIGN §4: a host
// that is not one of them (a private endpoint, a national-cloud proxy, the local emulators) is trusted as
// given, which turns off checks that only make sense for Microsoft's own hosts.
//
// WARNING: these lists decide when keyrelay skips Key Vault's challenge-resource verification and MSAL's
// instance discovery. Only the configured settings (KEY_VAULT_URL, AZURE_AUTHORITY_HOST, GRAPH_ENDPOINT)
// reach them, never request input; a wrong entry here weakens a check for real deployments.

const KEY_VAULT_HOST_SUFFIXES = [
  '.vault.azure.net',
  '.vault.azure.cn',
  '.vault.usgovcloudapi.net',
  '.vault.microsoftazure.de',
  '.managedhsm.azure.net',
  '.managedhsm.azure.cn',
  '.managedhsm.usgovcloudapi.net',
];

const AUTHORITY_HOSTS = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoft.com',
  'login.windows.net',
  'sts.windows.net',
];

const GRAPH_HOSTS = [
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
];

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** True for `https://<vault>.vault.azure.net` and the other clouds' vault hosts. */
export function isMicrosoftKeyVaultHost(url: string): boolean {
  const host = hostnameOf(url);
  return host !== undefined && KEY_VAULT_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

export function isMicrosoftAuthorityHost(url: string): boolean {
  const host = hostnameOf(url);
  return host !== undefined && AUTHORITY_HOSTS.includes(host);
}

export function isMicrosoftGraphHost(url: string): boolean {
  const host = hostnameOf(url);
  return host !== undefined && GRAPH_HOSTS.includes(host);
}

const PUBLIC_GRAPH_ENDPOINT = 'https://graph.microsoft.com';

/**
 * Graph's app-only scope (`/.default`: every application permission granted). A national cloud's Graph is
 * its own resource; a host trusted as given (DESIGN §4) stands in for the public one.
 */
export function graphAppScope(graphEndpoint: string): string {
  const resource = isMicrosoftGraphHost(graphEndpoint) ? new URL(graphEndpoint).origin : PUBLIC_GRAPH_ENDPOINT;
  return `${resource}/.default`;
}

/** The Graph of the cloud an authority host belongs to (national clouds have their own). */
export function graphEndpointOfAuthority(authorityHost: string): string {
  const host = new URL(authorityHost).host;
  if (host === 'login.chinacloudapi.cn') return 'https://microsoftgraph.chinacloudapi.cn';
  if (host === 'login.microsoftonline.us') return 'https://graph.microsoft.us';
  return PUBLIC_GRAPH_ENDPOINT;
}
