// Everything `npm run setup` tells the admin, in Italian (default) and English. Parameters are ids,
// names, dates and URLs: never a secret.
import type { AzureIdentityKind } from '#src/shared/ports/azureLogin.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { DEFAULT_TIME_ZONE, formatDate, formatDateTime, type DisplayZone } from '#src/shared/presentation/time.js';

export type SetupMessageCode =
  | 'app_found'
  | 'app_create'
  | 'audience_set'
  | 'audience_ok'
  | 'redirect_uri_set'
  | 'redirect_uri_ok'
  | 'permissions_set'
  | 'permissions_ok'
  | 'owner_add'
  | 'owner_ok'
  | 'owner_skipped'
  | 'service_principal_create'
  | 'service_principal_ok'
  | 'role_grant'
  | 'role_ok'
  | 'role_grant_command'
  | 'secret_ok'
  | 'secret_create'
  | 'next_client_id'
  | 'next_consent'
  | 'next_connect'
  | 'next_doctor'
  | 'fic_ok'
  | 'fic_add'
  | 'fic_verify'
  | 'fic_verified'
  | 'fic_verify_elsewhere'
  | 'setting_ok'
  | 'secret_none'
  | 'secret_removed'
  | 'next_switch'
  | 'next_remove_after_switch'
  | 'next_remove_secret';

export type SetupFailureCode =
  | 'azure_login_missing'
  | 'graph_denied_manage_apps'
  | 'graph_denied_add_owner'
  | 'key_vault_denied'
  | 'app_not_found'
  | 'app_name_ambiguous'
  | 'permission_not_published'
  | 'identity_not_found'
  | 'secret_lifetime_policy'
  | 'secret_type_policy'
  | 'service_unavailable'
  | 'federated_app_missing'
  | 'federated_identity_missing'
  | 'federated_tenant_id'
  | 'federated_credential_conflict'
  | 'federated_verify_failed'
  | 'unexpected';

export type MessageParams = Readonly<Record<string, string | number>>;

export interface SetupMessage {
  code: SetupMessageCode;
  params: MessageParams;
}

type Template = (p: MessageParams) => string;

export const SECRET_REASONS: Record<Locale, Record<string, string>> = {
  it: {
    missing: 'Key Vault non ne contiene uno',
    disabled: 'quello in Key Vault è disabilitato',
    other_app: "quello in Key Vault appartiene a un'altra app",
    untagged: 'quello in Key Vault non indica a quale credenziale corrisponde',
    credential_gone: "la credenziale di quello in Key Vault non esiste più nell'app",
    expired: 'quello in Key Vault è scaduto',
  },
  en: {
    missing: 'Key Vault holds none',
    disabled: 'the one in Key Vault is disabled',
    other_app: 'the one in Key Vault belongs to another app',
    untagged: 'the one in Key Vault does not say which credential it is',
    credential_gone: 'the one in Key Vault names a credential the app no longer has',
    expired: 'the one in Key Vault has expired',
  },
};

export const IDENTITY_KINDS: Record<Locale, Record<AzureIdentityKind, string>> = {
  it: {
    environment: "variabili d'ambiente (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)",
    'workload-identity': 'identità del carico di lavoro',
    'managed-identity': 'identità gestita',
    vscode: 'Visual Studio Code',
    'azure-cli': 'Azure CLI (`az login`)',
    'azure-powershell': 'Azure PowerShell',
    'azure-developer-cli': 'Azure Developer CLI (`azd auth login`)',
  },
  en: {
    environment: 'environment (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)',
    'workload-identity': 'workload identity',
    'managed-identity': 'managed identity',
    vscode: 'Visual Studio Code',
    'azure-cli': 'Azure CLI (`az login`)',
    'azure-powershell': 'Azure PowerShell',
    'azure-developer-cli': 'Azure Developer CLI (`azd auth login`)',
  },
};

/** The sign-in sources DefaultAzureCredential tried, from the comma list a no-login failure carries. */
export function identityKindsText(locale: Locale, tried: string | number | undefined): string {
  const kinds = String(tried ?? '')
    .split(',')
    .filter((kind): kind is AzureIdentityKind => Object.hasOwn(IDENTITY_KINDS[locale], kind));
  return kinds.map((kind) => IDENTITY_KINDS[locale][kind]).join(', ');
}

export function secretReasonText(locale: Locale, reason: string): string {
  return SECRET_REASONS[locale][reason] ?? reason;
}

export const SETUP_STEPS: Record<Locale, Record<SetupMessageCode, Template>> = {
  it: {
    app_found: (p) => `registrazione app trovata: ${p.displayName} (client id ${p.appId})`,
    app_create: (p) =>
      `registrazione app creata: ${p.displayName}${p.appId ? ` (client id ${p.appId})` : ''}, multi-tenant`,
    audience_set: () => 'registrazione resa multi-tenant (AzureADMultipleOrgs)',
    audience_ok: () => 'registrazione già multi-tenant',
    redirect_uri_set: (p) => `redirect URI Web impostato: ${p.redirectUri}`,
    redirect_uri_ok: (p) => `redirect URI Web già presente: ${p.redirectUri}`,
    permissions_set: (p) => `permessi delegati impostati: ${p.permissions}`,
    permissions_ok: (p) => `permessi delegati già presenti: ${p.permissions}`,
    owner_add: (p) => `identità di keyrelay (${p.identityClientId}) aggiunta come proprietaria dell'app`,
    owner_ok: (p) => `identità di keyrelay (${p.identityClientId}) già proprietaria dell'app`,
    owner_skipped: () =>
      `proprietario non impostato: nessuna identità indicata (--identity-client-id o AZURE_MANAGED_IDENTITY_CLIENT_ID)`,
    service_principal_create: (p) =>
      `service principal dell'app creato nel tenant${p.appId ? ` (${p.appId})` : ''}: senza, Entra rifiuta le credenziali client (AADSTS7000229)`,
    service_principal_ok: () => "service principal dell'app già presente nel tenant",
    role_grant: (p) =>
      `ruolo applicativo Microsoft Graph ${p.role} concesso all'identità di keyrelay (i token dell'identità gestita lo vedono entro 24 ore)`,
    role_ok: (p) => `ruolo applicativo Microsoft Graph ${p.role} già concesso all'identità di keyrelay`,
    role_grant_command: (p) =>
      `il tuo account non può concedere ruoli applicativi: un Privileged Role Administrator esegue, per ${p.role}:\n    ${p.command}`,
    secret_ok: (p) =>
      `segreto client in Key Vault (\`${p.secretName}\`) valido fino al ${p.expiresOn}: nessun nuovo segreto`,
    secret_create: (p) =>
      `segreto client creato (scade il ${p.expiresOn}) e scritto direttamente in Key Vault come \`${p.secretName}\`, perché ${p.reason}`,
    next_client_id: (p) =>
      `Imposta OAUTH_CLIENT_ID=${p.appId} nelle impostazioni dell'app (azd: \`azd env set OAUTH_CLIENT_ID ${p.appId}\` e poi \`azd provision\`).`,
    next_consent: (p) =>
      `Un amministratore di ogni tenant le cui caselle si collegheranno apre il link di consenso e accetta i permessi:\n    ${p.consentUrl}\n    (per un altro tenant sostituisci ${p.tenant} con il suo ID o dominio)`,
    next_connect: (p) => `Collega ogni casella di posta una volta: ${p.connectUrl}`,
    next_doctor: () => 'Controlla tutto con `npm run doctor`.',
    fic_ok: (p) =>
      `credenziale federata ${p.name} già presente: soggetto ${p.subject} (object id dell'identità), audience ${p.audience}`,
    fic_add: (p) =>
      `credenziale federata ${p.name} aggiunta all'app: soggetto ${p.subject} (object id dell'identità), audience ${p.audience}`,
    fic_verify: () => "token verificato con l'asserzione dell'identità",
    fic_verified: () => "Entra ID accetta l'asserzione dell'identità di keyrelay: token ottenuto senza segreto",
    fic_verify_elsewhere: (p) =>
      `verifica rimandata: l'accesso Azure di questo comando non è l'identità di keyrelay (${p.subject}); la verifica la fanno \`npm run doctor\` e il monitor dove gira keyrelay`,
    setting_ok: () => 'OAUTH_CLIENT_CREDENTIAL=federated già impostato',
    secret_none: (p) => `nessun segreto client \`${p.secretName}\` in Key Vault: niente da rimuovere`,
    secret_removed: (p) =>
      `vecchio segreto client rimosso dall'app (keyId ${p.keyId}) e da Key Vault (\`${p.secretName}\`)`,
    next_switch: () =>
      "Passa a OAUTH_CLIENT_CREDENTIAL=federated nelle impostazioni dell'app (azd: `azd env set OAUTH_CLIENT_CREDENTIAL federated` e poi `azd provision`; in locale: `local.settings.json`), poi riesegui `npm run setup -- --federated`.",
    next_remove_after_switch: () =>
      'Dopo il passaggio, `npm run setup -- --federated --remove-secret` rimuove il vecchio segreto client.',
    next_remove_secret: (p) =>
      `Il segreto client \`${p.secretName}\` non serve più: rimuovilo dall'app e da Key Vault con \`npm run setup -- --federated --remove-secret\`.`,
  },
  en: {
    app_found: (p) => `app registration found: ${p.displayName} (client id ${p.appId})`,
    app_create: (p) =>
      `app registration created: ${p.displayName}${p.appId ? ` (client id ${p.appId})` : ''}, multi-tenant`,
    audience_set: () => 'registration made multi-tenant (AzureADMultipleOrgs)',
    audience_ok: () => 'registration already multi-tenant',
    redirect_uri_set: (p) => `Web redirect URI set: ${p.redirectUri}`,
    redirect_uri_ok: (p) => `Web redirect URI already present: ${p.redirectUri}`,
    permissions_set: (p) => `delegated permissions set: ${p.permissions}`,
    permissions_ok: (p) => `delegated permissions already present: ${p.permissions}`,
    owner_add: (p) => `keyrelay's identity (${p.identityClientId}) added as owner of the app`,
    owner_ok: (p) => `keyrelay's identity (${p.identityClientId}) already owns the app`,
    owner_skipped: () => 'owner not set: no identity given (--identity-client-id or AZURE_MANAGED_IDENTITY_CLIENT_ID)',
    service_principal_create: (p) =>
      `service principal of the app created in the tenant${p.appId ? ` (${p.appId})` : ''}: without it Entra refuses client credentials (AADSTS7000229)`,
    service_principal_ok: () => 'service principal of the app already in the tenant',
    role_grant: (p) =>
      `Microsoft Graph app role ${p.role} granted to keyrelay's identity (managed-identity tokens show it within 24 hours)`,
    role_ok: (p) => `Microsoft Graph app role ${p.role} already granted to keyrelay's identity`,
    role_grant_command: (p) =>
      `your account may not grant app roles: a Privileged Role Administrator runs, for ${p.role}:\n    ${p.command}`,
    secret_ok: (p) => `client secret in Key Vault (${p.secretName}) valid until ${p.expiresOn}: no new secret`,
    secret_create: (p) =>
      `client secret created (expires ${p.expiresOn}) and written straight into Key Vault as ${p.secretName}, because ${p.reason}`,
    next_client_id: (p) =>
      `Set OAUTH_CLIENT_ID=${p.appId} in the app settings (azd: \`azd env set OAUTH_CLIENT_ID ${p.appId}\`, then \`azd provision\`).`,
    next_consent: (p) =>
      `An administrator of each tenant whose mailboxes will connect opens the consent link and accepts the permissions:\n    ${p.consentUrl}\n    (for another tenant replace ${p.tenant} with its ID or domain)`,
    next_connect: (p) => `Connect each mailbox once: ${p.connectUrl}`,
    next_doctor: () => 'Check everything with `npm run doctor`.',
    fic_ok: (p) =>
      `federated credential ${p.name} already present: subject ${p.subject} (the identity's object id), audience ${p.audience}`,
    fic_add: (p) =>
      `federated credential ${p.name} added to the app: subject ${p.subject} (the identity's object id), audience ${p.audience}`,
    fic_verify: () => "token verified with the identity's assertion",
    fic_verified: () => "Entra ID accepts keyrelay's identity's assertion: token obtained without a secret",
    fic_verify_elsewhere: (p) =>
      `verification deferred: this command's Azure login is not keyrelay's identity (${p.subject}); \`npm run doctor\` and the monitor verify it where keyrelay runs`,
    setting_ok: () => 'OAUTH_CLIENT_CREDENTIAL=federated already set',
    secret_none: (p) => `no client secret ${p.secretName} in Key Vault: nothing to remove`,
    secret_removed: (p) =>
      `old client secret removed from the app (keyId ${p.keyId}) and from Key Vault (${p.secretName})`,
    next_switch: () =>
      'Switch the app setting to OAUTH_CLIENT_CREDENTIAL=federated (azd: `azd env set OAUTH_CLIENT_CREDENTIAL federated`, then `azd provision`; locally: local.settings.json), then run `npm run setup -- --federated` again.',
    next_remove_after_switch: () =>
      'After the switch, `npm run setup -- --federated --remove-secret` removes the old client secret.',
    next_remove_secret: (p) =>
      `The client secret ${p.secretName} is no longer needed: remove it from the app and Key Vault with \`npm run setup -- --federated --remove-secret\`.`,
  },
};

export const SETUP_FAILURES: Record<Locale, Record<SetupFailureCode, { problem: Template; fix: Template }>> = {
  it: {
    azure_login_missing: {
      problem: (p) =>
        p.tried
          ? `nessun accesso Azure trovato: DefaultAzureCredential ha provato ${identityKindsText('it', p.tried)} e nessuno ha dato un token`
          : "nessun accesso Azure utilizzabile: Entra ID o il servizio hanno rifiutato l'accesso trovato",
      fix: () => 'Accedi con `az login` (o `azd auth login`) con un account amministratore del tenant e riprova.',
    },
    graph_denied_manage_apps: {
      problem: () => 'il tuo account non può leggere o modificare le registrazioni app (Microsoft Graph 403)',
      fix: () =>
        'Serve il ruolo Entra ID Application Administrator o Cloud Application Administrator (o Application.ReadWrite.All).',
    },
    graph_denied_add_owner: {
      problem: () => "il tuo account non può aggiungere proprietari all'app (Microsoft Graph 403)",
      fix: () =>
        "Serve il ruolo Application Administrator o Cloud Application Administrator, oppure essere proprietario dell'app.",
    },
    key_vault_denied: {
      problem: (p) => `il tuo account non può scrivere segreti in Key Vault (${p.vault}, 403)`,
      fix: (p) =>
        `Assegnati il ruolo \`Key Vault Secrets Officer\` sul vault: \`az role assignment create --role "Key Vault Secrets Officer" --assignee <tuo account> --scope <id del vault ${p.vault}>\`.`,
    },
    app_not_found: {
      problem: (p) => `OAUTH_CLIENT_ID=${p.appId} non corrisponde a nessuna registrazione app nel tenant ${p.tenant}`,
      fix: () => 'Correggi OAUTH_CLIENT_ID, oppure toglilo per far creare a setup una nuova registrazione.',
    },
    app_name_ambiguous: {
      problem: (p) => `${p.count} registrazioni app si chiamano "${p.displayName}"`,
      fix: () =>
        'Imposta OAUTH_CLIENT_ID con il client id di quella giusta, oppure usa --app-name con un nome univoco.',
    },
    permission_not_published: {
      problem: (p) => `${p.resource} non pubblica il permesso delegato ${p.scope} in questo tenant`,
      fix: () => 'Verifica che il tenant abbia Exchange Online e Microsoft Graph (licenze Microsoft 365) e riprova.',
    },
    identity_not_found: {
      problem: (p) => `nessun service principal con client id ${p.identityClientId} (identità di keyrelay)`,
      fix: () =>
        'Controlla --identity-client-id / AZURE_MANAGED_IDENTITY_CLIENT_ID, oppure passa --identity-object-id (AZURE_MANAGED_IDENTITY_PRINCIPAL_ID).',
    },
    secret_lifetime_policy: {
      problem: () =>
        'un criterio del tenant limita la durata dei segreti client (CredentialInvalidLifetimeAsPerAppPolicy)',
      fix: () => 'Riprova con una durata minore, es. `--secret-months 6`.',
    },
    secret_type_policy: {
      problem: () =>
        'un criterio del tenant vieta i segreti client per questa app (CredentialTypeNotAllowedAsPerAppPolicy)',
      fix: () => "Chiedi un'eccezione al criterio per questa app: keyrelay oggi usa un segreto client.",
    },
    service_unavailable: {
      problem: (p) => `${p.service} non risponde (${p.detail})`,
      fix: () => 'Riprova tra qualche minuto; setup è idempotente.',
    },
    federated_app_missing: {
      problem: (p) => `nessuna registrazione app "${p.displayName}" a cui aggiungere la credenziale federata`,
      fix: () => 'Esegui prima `npm run setup` (crea la registrazione), oppure imposta OAUTH_CLIENT_ID.',
    },
    federated_identity_missing: {
      problem: () => "manca l'object id dell'identità gestita di keyrelay (il soggetto della credenziale federata)",
      fix: () => 'Imposta AZURE_MANAGED_IDENTITY_PRINCIPAL_ID (output di azd) o passa --identity-object-id.',
    },
    federated_tenant_id: {
      problem: (p) =>
        `AZURE_TENANT_ID=${p.tenant} non è un ID tenant (GUID): l'emittente della credenziale federata lo richiede`,
      fix: () => "Imposta AZURE_TENANT_ID all'ID (GUID) del tenant della registrazione app.",
    },
    federated_credential_conflict: {
      problem: (p) => `l'app ha già una credenziale federata ${p.name} con emittente, soggetto o audience diversi`,
      fix: () =>
        'Correggila o eliminala nel portale (Certificati e segreti > Credenziali federate) e riesegui il comando.',
    },
    federated_verify_failed: {
      problem: (p) => `Entra ID non accetta l'asserzione dell'identità (${p.code})`,
      fix: () =>
        "Controlla con `npm run doctor`; identità e registrazione app devono stare nello stesso tenant. L'impostazione non è stata cambiata.",
    },
    unexpected: {
      problem: (p) => `errore inatteso durante: ${p.step}`,
      fix: () => 'Riprova; se si ripete, apri una segnalazione con questo output (non contiene segreti).',
    },
  },
  en: {
    azure_login_missing: {
      problem: (p) =>
        p.tried
          ? `no Azure sign-in found: DefaultAzureCredential tried ${identityKindsText('en', p.tried)} and none gave a token`
          : 'no usable Azure sign-in: Entra ID or the service refused the login it found',
      fix: () =>
        'Sign in with `az login` (or `azd auth login`) with an administrator account of the tenant and try again.',
    },
    graph_denied_manage_apps: {
      problem: () => 'your account may not read or change app registrations (Microsoft Graph 403)',
      fix: () =>
        'You need the Entra ID role Application Administrator or Cloud Application Administrator (or Application.ReadWrite.All).',
    },
    graph_denied_add_owner: {
      problem: () => 'your account may not add owners to the app (Microsoft Graph 403)',
      fix: () => 'You need the Application Administrator or Cloud Application Administrator role, or to own the app.',
    },
    key_vault_denied: {
      problem: (p) => `your account may not write secrets to Key Vault (${p.vault}, 403)`,
      fix: (p) =>
        `Give yourself "Key Vault Secrets Officer" on the vault: az role assignment create --role "Key Vault Secrets Officer" --assignee <your account> --scope <resource id of ${p.vault}>.`,
    },
    app_not_found: {
      problem: (p) => `OAUTH_CLIENT_ID=${p.appId} names no app registration in tenant ${p.tenant}`,
      fix: () => 'Fix OAUTH_CLIENT_ID, or remove it to let setup create a new registration.',
    },
    app_name_ambiguous: {
      problem: (p) => `${p.count} app registrations are named "${p.displayName}"`,
      fix: () => 'Set OAUTH_CLIENT_ID to the client id of the right one, or pick a unique --app-name.',
    },
    permission_not_published: {
      problem: (p) => `${p.resource} publishes no delegated permission ${p.scope} in this tenant`,
      fix: () =>
        'Check that the tenant has Exchange Online and Microsoft Graph (Microsoft 365 licences) and try again.',
    },
    identity_not_found: {
      problem: (p) => `no service principal with client id ${p.identityClientId} (keyrelay's identity)`,
      fix: () =>
        'Check --identity-client-id / AZURE_MANAGED_IDENTITY_CLIENT_ID, or pass --identity-object-id (AZURE_MANAGED_IDENTITY_PRINCIPAL_ID).',
    },
    secret_lifetime_policy: {
      problem: () => 'a tenant policy limits the lifetime of client secrets (CredentialInvalidLifetimeAsPerAppPolicy)',
      fix: () => 'Try again with a shorter lifetime, e.g. --secret-months 6.',
    },
    secret_type_policy: {
      problem: () => 'a tenant policy forbids client secrets for this app (CredentialTypeNotAllowedAsPerAppPolicy)',
      fix: () => 'Ask for a policy exception for this app: keyrelay uses a client secret today.',
    },
    service_unavailable: {
      problem: (p) => `${p.service} does not answer (${p.detail})`,
      fix: () => 'Try again in a few minutes; setup is idempotent.',
    },
    federated_app_missing: {
      problem: (p) => `no app registration "${p.displayName}" to add the federated credential to`,
      fix: () => 'Run `npm run setup` first (it creates the registration), or set OAUTH_CLIENT_ID.',
    },
    federated_identity_missing: {
      problem: () => "the object id of keyrelay's managed identity (the federated credential's subject) is missing",
      fix: () => 'Set AZURE_MANAGED_IDENTITY_PRINCIPAL_ID (an azd output) or pass --identity-object-id.',
    },
    federated_tenant_id: {
      problem: (p) =>
        `AZURE_TENANT_ID=${p.tenant} is not a tenant id (GUID): the federated credential's issuer needs one`,
      fix: () => "Set AZURE_TENANT_ID to the id (GUID) of the app registration's tenant.",
    },
    federated_credential_conflict: {
      problem: (p) => `the app already has a federated credential ${p.name} with another issuer, subject or audience`,
      fix: () =>
        'Fix or delete it in the portal (Certificates & secrets > Federated credentials) and run the command again.',
    },
    federated_verify_failed: {
      problem: (p) => `Entra ID does not accept the identity's assertion (${p.code})`,
      fix: () =>
        'Check with `npm run doctor`; the identity and the app registration must be in the same tenant. The setting was not changed.',
    },
    unexpected: {
      problem: (p) => `unexpected error during: ${p.step}`,
      fix: () => 'Try again; if it repeats, file an issue with this output (it holds no secrets).',
    },
  },
};

const DATE_PARAMS = new Set(['expiresOn']);
const DATE_TIME_PARAMS = new Set(['grantedAt', 'usableFrom']);

/**
 * Message parameters as people read them: the ISO instants named expiresOn (a date) and grantedAt /
 * usableFrom (a date and time, with the zone) in the run's language and ALERT_TIME_ZONE.
 */
export function displayParams<P extends Readonly<Record<string, string | number>>>(params: P, zone: DisplayZone): P {
  const shown: Record<string, string | number> = { ...params };
  for (const [name, value] of Object.entries(params)) {
    const instant = typeof value === 'string' ? new Date(value) : undefined;
    if (instant === undefined || Number.isNaN(instant.getTime())) continue;
    if (DATE_PARAMS.has(name)) shown[name] = formatDate(instant, zone);
    else if (DATE_TIME_PARAMS.has(name)) shown[name] = formatDateTime(instant, zone);
  }
  return shown as P;
}

export function renderSetupMessage(
  locale: Locale,
  message: SetupMessage,
  timeZone: string = DEFAULT_TIME_ZONE,
): string {
  const params = displayParams(message.params, { locale, timeZone });
  const reason = params.reason;
  return SETUP_STEPS[locale][message.code](
    reason === undefined ? params : { ...params, reason: secretReasonText(locale, String(reason)) },
  );
}

export function renderSetupFailure(
  locale: Locale,
  code: SetupFailureCode,
  params: MessageParams,
): { problem: string; fix: string } {
  const template = SETUP_FAILURES[locale][code];
  return { problem: template.problem(params), fix: template.fix(params) };
}
