// What `npm run doctor` prints for each finding, in ALERT_LOCALE (Italian by default): what it found
// and, when something is wrong, how to fix it. Parameters are ids, names, dates and URLs only.
import type { Locale } from '#src/shared/presentation/locale.js';
import { smtpAuthAdvice, type SmtpAuthAdvice } from '#src/shared/domain/connect/smtpAuth.js';
import { DEFAULT_TIME_ZONE } from '#src/shared/presentation/time.js';
import { settingProblemIn } from '#src/shared/settingProblems.js';
import { displayParams, identityKindsText } from '../setup/setupMessages.js';
import type { Finding, FindingCode } from './findings.js';

type Params = Finding['params'];
type Template = (p: Params) => string;

interface FindingText {
  title: Template;
  fix?: Template;
}

/** The SMTP AUTH advice of the connect result page, for a mailbox_smtp_auth finding's params. */
function smtpAdvice(locale: Locale, p: Params): SmtpAuthAdvice {
  const state = p.state === 'ok' || p.state === 'disabled' ? p.state : 'unknown';
  return smtpAuthAdvice(locale, String(p.upn), { state, ...(p.code !== undefined && { code: String(p.code) }) });
}

export const DOCTOR_FINDINGS: Record<Locale, Record<FindingCode, FindingText>> = {
  it: {
    azure_login_missing: {
      title: (p) =>
        p.tried
          ? `nessun accesso Azure trovato: DefaultAzureCredential ha provato ${identityKindsText('it', p.tried)} e nessuno ha dato un token`
          : "nessun accesso Azure utilizzabile: Entra ID o il servizio hanno rifiutato l'accesso trovato",
      fix: () =>
        "In locale accedi con `az login` (o `azd auth login`), oppure imposta AZURE_CLIENT_ID e AZURE_CLIENT_SECRET (per gli emulatori li stampa `npm run cloud`); in Azure assegna l'identità gestita alla Function App.",
    },
    settings_invalid: {
      title: (p) => `impostazione ${p.setting}: ${settingProblemIn('it', String(p.problem))}`,
      fix: () => 'Correggi le impostazioni dell\'app (Azure) o "Values" di `local.settings.json` (locale).',
    },
    settings_ok: { title: () => 'impostazioni valide' },
    key_vault_ok: { title: (p) => `Key Vault raggiungibile (${p.vault})` },
    key_vault_access_denied: {
      title: (p) => `Key Vault nega l'accesso all'identità ${p.identity} (${p.vault}, HTTP ${p.status})`,
      fix: (p) =>
        `Assegna all'identità il ruolo \`Key Vault Secrets Officer\` sul vault: \`az role assignment create --role "Key Vault Secrets Officer" --assignee ${p.identity} --scope <id risorsa del vault>\`.`,
    },
    key_vault_unavailable: {
      title: (p) => `Key Vault non risponde (${p.detail})`,
      fix: (p) => `Controlla KEY_VAULT_URL (${p.vault}) e la rete; riprova tra qualche minuto.`,
    },
    client_secret_missing: {
      title: (p) => `Key Vault non contiene il segreto client (\`${p.secretName}\`)`,
      fix: () => 'Esegui `npm run setup`: crea il segreto e lo scrive direttamente in Key Vault.',
    },
    graph_ok: { title: (p) => `l'identità ${p.identity} può leggere e ruotare le credenziali dell'app ${p.appId}` },
    graph_permission_missing: {
      title: (p) => `l'identità ${p.identity} non ha il permesso Microsoft Graph per ruotare il segreto client`,
      fix: (p) =>
        `Concedi all'identità ${p.identity} il ruolo applicativo Microsoft Graph Application.ReadWrite.OwnedBy (admin consent), e rendila proprietaria dell'app ${p.appId}. Senza, la rotazione automatica ripiega sugli avvisi.`,
    },
    graph_role_cached: {
      title: (p) =>
        `il ruolo ${p.role} è stato concesso all'identità ${p.identity} il ${p.grantedAt}, meno di 24 ore fa: i token dell'identità gestita lo mostrano solo dopo fino a 24 ore`,
      fix: (p) =>
        `Nessuna azione: la rotazione funziona al più tardi dal ${p.usableFrom}; \`npm run doctor\` allora lo segnala come a posto.`,
    },
    app_not_owned: {
      title: (p) =>
        `l'identità ${p.identity} ha Application.ReadWrite.OwnedBy ma non è proprietaria dell'app ${p.appId}`,
      fix: (p) =>
        `Aggiungila come proprietaria: \`npm run setup -- --identity-client-id ${p.identity}\`, oppure az ad app owner add --id ${p.appId} --owner-object-id <object id dell'identità>.`,
    },
    app_registration_not_found: {
      title: (p) => `nessuna registrazione app con client id ${p.appId} nel tenant ${p.tenantId}`,
      fix: () => 'Correggi OAUTH_CLIENT_ID / AZURE_TENANT_ID, oppure esegui `npm run setup`.',
    },
    graph_unavailable: {
      title: (p) => `Microsoft Graph non risponde (${p.detail})`,
      fix: () => 'Controlla GRAPH_ENDPOINT e la rete; riprova tra qualche minuto.',
    },
    secret_ok: { title: (p) => `segreto client valido fino al ${p.expiresOn} (${p.daysLeft} giorni)` },
    secret_expiring: {
      title: (p) => `il segreto client scade il ${p.expiresOn} (tra ${p.daysLeft} giorni)`,
      fix: () =>
        'Con ROTATION_MODE=auto keyrelay lo rinnova da solo prima della scadenza (serve il permesso Graph qui sopra); con alert-only rinnovalo seguendo i passi degli avvisi di scadenza.',
    },
    secret_expired: {
      title: (p) => `il segreto client è scaduto il ${p.expiresOn}`,
      fix: () =>
        'Esegui `npm run setup`: crea un nuovo segreto e lo scrive in Key Vault. Poi ricollega le caselle se necessario.',
    },
    secret_unknown_to_app: {
      title: (p) =>
        `il segreto client in Key Vault (\`${p.secretName}\`) non corrisponde a nessuna credenziale dell'app ${p.appId}`,
      fix: () => 'Esegui `npm run setup`: crea un segreto valido e lo scrive in Key Vault.',
    },
    secret_rejected: {
      title: (p) => `Entra ID rifiuta il segreto client (${p.errorCode})`,
      fix: () => 'Un segreto appena creato può impiegare qualche minuto: riprova. Se persiste esegui `npm run setup`.',
    },
    secret_check_unavailable: {
      title: () => 'non è stato possibile verificare il segreto client con Entra ID (servizio non disponibile)',
      fix: () => 'Riprova tra qualche minuto.',
    },
    redirect_uri_ok: { title: (p) => `redirect URI registrato: ${p.redirectUri}` },
    redirect_uri_mismatch: {
      title: (p) => `il redirect URI ${p.redirectUri} non è registrato nell'app (registrati: ${p.registered})`,
      fix: (p) =>
        `Esegui \`npm run setup\` (aggiunge il redirect URI), oppure aggiungilo come piattaforma Web nella registrazione app ${p.appId}; controlla anche PUBLIC_BASE_URL.`,
    },
    redirect_uri_unchecked: {
      title: () => 'redirect URI non verificato: Microsoft Graph non ha restituito la registrazione app',
      fix: () => 'Risolvi prima il problema di Microsoft Graph qui sopra.',
    },
    consent_ok: {
      title: (p) => `consenso presente: ${p.count === 1 ? '1 casella collegata' : `${p.count} caselle collegate`}`,
    },
    consent_missing: {
      title: () => 'nessuna casella collegata: il consenso ai permessi non risulta dato',
      fix: (p) =>
        `Un amministratore apre il link di consenso ${p.consentUrl}, poi ogni casella si collega da ${p.connectUrl}.`,
    },
    mailbox_ok: { title: (p) => `casella ${p.upn}: ok (ultimo rinnovo ${p.daysSinceRefresh} giorni fa)` },
    mailbox_reconnect_required: {
      title: (p) => `casella ${p.upn}: va ricollegata (${p.errorCode})`,
      fix: (p) => `Il titolare apre ${p.reconnectUrl} e accede di nuovo.`,
    },
    mailbox_consent_missing: {
      title: (p) => `casella ${p.upn}: consenso mancante o revocato (${p.errorCode})`,
      fix: (p) => `Un amministratore apre ${p.consentUrl}, poi il titolare ricollega la casella da ${p.reconnectUrl}.`,
    },
    mailboxes_unavailable: {
      title: (p) => `registro delle caselle non leggibile (${p.detail})`,
      fix: () => "Controlla AzureWebJobsStorage e i ruoli Storage Table dell'identità.",
    },
    alarm_channel_needs_secret: {
      title: () =>
        "se Entra ID rifiuta il segreto client, nessun canale d'allarme arriva agli amministratori: la posta da una casella collegata ha bisogno proprio di quel segreto",
      fix: () =>
        'Imposta ALERT_WEBHOOK_URL (Teams o JSON), oppure ALERT_MAIL_AUTH=managed-identity con Mail.Send applicativo per ALERT_SENDER.',
    },
    mailbox_smtp_auth: {
      title: (p) => `casella ${p.upn}: ${smtpAdvice('it', p).summary}`,
      fix: (p) => smtpAdvice('it', p).fix ?? 'Nessuna azione: `npm run doctor` lo riprova.',
    },
    posture_secret: {
      title: (p) =>
        `credenziale dell'app ${p.appId}: segreto client in Key Vault (\`OAUTH_CLIENT_CREDENTIAL=secret\`); senza segreti: \`npm run setup -- --federated\``,
    },
    posture_federated: {
      title: (p) =>
        `credenziale dell'app ${p.appId}: identità gestita come credenziale federata (OAUTH_CLIENT_CREDENTIAL=federated), nessun segreto`,
    },
    federated_ok: {
      title: () =>
        "la credenziale federata dell'app corrisponde all'identità di keyrelay ed Entra ID accetta la sua asserzione",
    },
    federated_missing: {
      title: (p) => `l'app ${p.appId} non ha una credenziale federata per l'identità di keyrelay`,
      fix: () => 'Esegui `npm run setup -- --federated`.',
    },
    federated_mismatch: {
      title: (p) =>
        `la credenziale federata dell'app ${p.appId} non corrisponde all'identità di keyrelay (soggetto = object id dell'identità, audience)`,
      fix: () => 'Esegui `npm run setup -- --federated` (o correggila nel portale).',
    },
    federated_refused: {
      title: (p) => `Entra ID rifiuta l'asserzione dell'identità di keyrelay (${p.errorCode})`,
      fix: () =>
        "Esegui `npm run setup -- --federated`; se l'identità non ottiene token, assegnala alla Function App e imposta AZURE_CLIENT_ID, o usa `OAUTH_CLIENT_CREDENTIAL=secret` fuori da Azure.",
    },
    federated_unchecked: {
      title: () => 'credenziale federata non verificabile ora (Graph o Entra ID non rispondono)',
      fix: () => 'Riprova tra qualche minuto.',
    },
    federated_leftover_password: {
      title: (p) => `segreto client ${p.keyId} dell'app (scade il ${p.expiresOn}): non più necessario`,
      fix: () => 'Rimuovilo: `npm run setup -- --federated --remove-secret` (o dal portale).',
    },
    federated_leftover_secret: {
      title: (p) => `Key Vault contiene ancora il segreto client \`${p.secretName}\`: non più necessario`,
      fix: () => 'Rimuovilo: `npm run setup -- --federated --remove-secret`.',
    },
  },
  en: {
    azure_login_missing: {
      title: (p) =>
        p.tried
          ? `no Azure sign-in found: DefaultAzureCredential tried ${identityKindsText('en', p.tried)} and none gave a token`
          : 'no usable Azure sign-in: Entra ID or the service refused the login it found',
      fix: () =>
        'Locally, sign in with `az login` (or `azd auth login`), or set AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (for the emulators `npm run cloud` prints them); in Azure, assign the managed identity to the Function App.',
    },
    settings_invalid: {
      title: (p) => `setting ${p.setting}: ${p.problem}`,
      fix: () => 'Fix the app settings (Azure) or the "Values" of local.settings.json (local).',
    },
    settings_ok: { title: () => 'settings valid' },
    key_vault_ok: { title: (p) => `Key Vault reachable (${p.vault})` },
    key_vault_access_denied: {
      title: (p) => `Key Vault denies access to the identity ${p.identity} (${p.vault}, HTTP ${p.status})`,
      fix: (p) =>
        `Give the identity "Key Vault Secrets Officer" on the vault: az role assignment create --role "Key Vault Secrets Officer" --assignee ${p.identity} --scope <vault resource id>.`,
    },
    key_vault_unavailable: {
      title: (p) => `Key Vault does not answer (${p.detail})`,
      fix: (p) => `Check KEY_VAULT_URL (${p.vault}) and the network; try again in a few minutes.`,
    },
    client_secret_missing: {
      title: (p) => `Key Vault holds no client secret (${p.secretName})`,
      fix: () => 'Run `npm run setup`: it creates the secret and writes it straight into Key Vault.',
    },
    graph_ok: { title: (p) => `the identity ${p.identity} may read and rotate the credentials of app ${p.appId}` },
    graph_permission_missing: {
      title: (p) => `the identity ${p.identity} lacks the Microsoft Graph permission to rotate the client secret`,
      fix: (p) =>
        `Grant the identity ${p.identity} the Microsoft Graph app role Application.ReadWrite.OwnedBy (admin consent) and make it an owner of app ${p.appId}. Without it, automatic rotation falls back to alerts.`,
    },
    graph_role_cached: {
      title: (p) =>
        `the role ${p.role} was granted to the identity ${p.identity} on ${p.grantedAt}, less than 24 hours ago: managed-identity tokens show it only after up to 24 hours`,
      fix: (p) =>
        `Nothing to do: rotation works from ${p.usableFrom} at the latest; npm run doctor then reports it fine.`,
    },
    app_not_owned: {
      title: (p) => `the identity ${p.identity} holds Application.ReadWrite.OwnedBy but does not own app ${p.appId}`,
      fix: (p) =>
        `Add it as owner: \`npm run setup -- --identity-client-id ${p.identity}\`, or az ad app owner add --id ${p.appId} --owner-object-id <object id of the identity>.`,
    },
    app_registration_not_found: {
      title: (p) => `no app registration with client id ${p.appId} in tenant ${p.tenantId}`,
      fix: () => 'Fix OAUTH_CLIENT_ID / AZURE_TENANT_ID, or run `npm run setup`.',
    },
    graph_unavailable: {
      title: (p) => `Microsoft Graph does not answer (${p.detail})`,
      fix: () => 'Check GRAPH_ENDPOINT and the network; try again in a few minutes.',
    },
    secret_ok: { title: (p) => `client secret valid until ${p.expiresOn} (${p.daysLeft} days)` },
    secret_expiring: {
      title: (p) => `the client secret expires on ${p.expiresOn} (in ${p.daysLeft} days)`,
      fix: () =>
        'With ROTATION_MODE=auto keyrelay renews it before it expires (it needs the Graph permission above); with alert-only, renew it following the steps in the expiry alerts.',
    },
    secret_expired: {
      title: (p) => `the client secret expired on ${p.expiresOn}`,
      fix: () =>
        'Run `npm run setup`: it creates a new secret and writes it into Key Vault. Then reconnect mailboxes if needed.',
    },
    secret_unknown_to_app: {
      title: (p) => `the client secret in Key Vault (${p.secretName}) matches no credential of app ${p.appId}`,
      fix: () => 'Run `npm run setup`: it creates a valid secret and writes it into Key Vault.',
    },
    secret_rejected: {
      title: (p) => `Entra ID rejects the client secret (${p.errorCode})`,
      fix: () => 'A fresh secret can take a few minutes to work: try again. If it persists, run `npm run setup`.',
    },
    secret_check_unavailable: {
      title: () => 'could not verify the client secret with Entra ID (service unavailable)',
      fix: () => 'Try again in a few minutes.',
    },
    redirect_uri_ok: { title: (p) => `redirect URI registered: ${p.redirectUri}` },
    redirect_uri_mismatch: {
      title: (p) => `the redirect URI ${p.redirectUri} is not registered on the app (registered: ${p.registered})`,
      fix: (p) =>
        `Run \`npm run setup\` (it adds the redirect URI), or add it as a Web platform on app registration ${p.appId}; also check PUBLIC_BASE_URL.`,
    },
    redirect_uri_unchecked: {
      title: () => 'redirect URI not checked: Microsoft Graph did not return the app registration',
      fix: () => 'Fix the Microsoft Graph problem above first.',
    },
    consent_ok: { title: (p) => `consent given: ${p.count === 1 ? '1 mailbox' : `${p.count} mailboxes`} connected` },
    consent_missing: {
      title: () => 'no mailbox connected: consent to the permissions has not been given',
      fix: (p) =>
        `An administrator opens the consent link ${p.consentUrl}, then each mailbox connects at ${p.connectUrl}.`,
    },
    mailbox_ok: { title: (p) => `mailbox ${p.upn}: ok (last refresh ${p.daysSinceRefresh} days ago)` },
    mailbox_reconnect_required: {
      title: (p) => `mailbox ${p.upn}: must be reconnected (${p.errorCode})`,
      fix: (p) => `Its owner opens ${p.reconnectUrl} and signs in again.`,
    },
    mailbox_consent_missing: {
      title: (p) => `mailbox ${p.upn}: consent missing or revoked (${p.errorCode})`,
      fix: (p) => `An administrator opens ${p.consentUrl}, then the owner reconnects at ${p.reconnectUrl}.`,
    },
    mailboxes_unavailable: {
      title: (p) => `mailbox registry unreadable (${p.detail})`,
      fix: () => "Check AzureWebJobsStorage and the identity's Storage Table roles.",
    },
    alarm_channel_needs_secret: {
      title: () =>
        'if Entra ID refuses the client secret, no alert channel reaches the admins: mail from a connected mailbox needs that very secret',
      fix: () =>
        'Set ALERT_WEBHOOK_URL (Teams or JSON), or ALERT_MAIL_AUTH=managed-identity with application Mail.Send for ALERT_SENDER.',
    },
    mailbox_smtp_auth: {
      title: (p) => `mailbox ${p.upn}: ${smtpAdvice('en', p).summary}`,
      fix: (p) => smtpAdvice('en', p).fix ?? 'Nothing to do: npm run doctor tries again.',
    },
    posture_secret: {
      title: (p) =>
        `credential of app ${p.appId}: client secret in Key Vault (OAUTH_CLIENT_CREDENTIAL=secret); to go secretless: \`npm run setup -- --federated\``,
    },
    posture_federated: {
      title: (p) =>
        `credential of app ${p.appId}: managed identity as federated credential (OAUTH_CLIENT_CREDENTIAL=federated), no secret`,
    },
    federated_ok: {
      title: () => "the app's federated credential matches keyrelay's identity and Entra ID accepts its assertion",
    },
    federated_missing: {
      title: (p) => `app ${p.appId} has no federated credential for keyrelay's identity`,
      fix: () => 'Run `npm run setup -- --federated`.',
    },
    federated_mismatch: {
      title: (p) =>
        `the federated credential of app ${p.appId} does not match keyrelay's identity (subject = the identity's object id, audience)`,
      fix: () => 'Run `npm run setup -- --federated` (or fix it in the portal).',
    },
    federated_refused: {
      title: (p) => `Entra ID refuses the assertion of keyrelay's identity (${p.errorCode})`,
      fix: () =>
        'Run `npm run setup -- --federated`; if the identity gets no token, assign it to the Function App and set AZURE_CLIENT_ID, or use OAUTH_CLIENT_CREDENTIAL=secret outside Azure.',
    },
    federated_unchecked: {
      title: () => 'federated credential not verifiable now (Graph or Entra ID does not answer)',
      fix: () => 'Try again in a few minutes.',
    },
    federated_leftover_password: {
      title: (p) => `client secret ${p.keyId} on the app (expires ${p.expiresOn}): no longer needed`,
      fix: () => 'Remove it: `npm run setup -- --federated --remove-secret` (or in the portal).',
    },
    federated_leftover_secret: {
      title: (p) => `Key Vault still holds the client secret ${p.secretName}: no longer needed`,
      fix: () => 'Remove it: `npm run setup -- --federated --remove-secret`.',
    },
  },
};

export interface RenderedFinding {
  severity: Finding['severity'];
  code: FindingCode;
  title: string;
  fix?: string;
}

export function renderFinding(locale: Locale, item: Finding, timeZone: string = DEFAULT_TIME_ZONE): RenderedFinding {
  const text = DOCTOR_FINDINGS[locale][item.code];
  const params = displayParams(item.params, { locale, timeZone });
  const fix = item.severity === 'ok' ? undefined : text.fix?.(params);
  return { severity: item.severity, code: item.code, title: text.title(params), ...(fix !== undefined && { fix }) };
}
