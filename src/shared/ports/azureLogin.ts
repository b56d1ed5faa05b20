// How the Azure identity (DefaultAzureCredential) says that no sign-in is available, read from the error's
// names only: services tell the admin to run `az login` without importing the SDK or its adapter.
/** The sign-in sources DefaultAzureCredential tries, in its order (@azure/identity 4.13). */
export const AZURE_IDENTITY_KINDS = [
  'environment',
  'workload-identity',
  'managed-identity',
  'vscode',
  'azure-cli',
  'azure-powershell',
  'azure-developer-cli',
] as const;
export type AzureIdentityKind = (typeof AZURE_IDENTITY_KINDS)[number];

const NO_LOGIN_ERRORS = new Set([
  'AggregateAuthenticationError',
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
]);
// How each source names itself in its CredentialUnavailableError; only these names are read, never shown.
const KIND_MARKERS: readonly (readonly [AzureIdentityKind, RegExp])[] = [
  ['environment', /EnvironmentCredential/],
  ['workload-identity', /WorkloadIdentityCredential/],
  ['managed-identity', /ManagedIdentityCredential/],
  ['vscode', /Visual Studio Code|VisualStudioCodeCredential/],
  ['azure-developer-cli', /Azure Developer CLI|AzureDeveloperCliCredential/],
  ['azure-cli', /Azure CLI|AzureCliCredential/],
  ['azure-powershell', /PowerShell/],
];

/**
 * When `error` (or its cause chain) says no Azure sign-in was available: the sources that were tried.
 * The Graph client re-wraps a token failure as a GraphError that keeps only the original name, as `code`.
 */
export function azureLoginMissing(error: unknown): { tried: AzureIdentityKind[] } | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (!NO_LOGIN_ERRORS.has(current.name) && !(typeof code === 'string' && NO_LOGIN_ERRORS.has(code))) continue;
    const text = current.message;
    const tried = KIND_MARKERS.filter(([, marker]) => marker.test(text)).map(([kind]) => kind);
    return { tried: AZURE_IDENTITY_KINDS.filter((kind) => tried.includes(kind)) };
  }
  return undefined;
}
