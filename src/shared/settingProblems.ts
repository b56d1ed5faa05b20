// What is wrong with a setting, in both languages (DESIGN §4). config.ts writes its problems in English
// (the Functions host logs them so) through `settingProblem`, which remembers each text's kind and
// parameters; the command-line tools then show the same problem in the run's language.
import type { Locale } from './presentation/locale.js';

export type SettingProblemKind =
  | 'url'
  | 'base_url'
  | 'client_id'
  | 'oauth_tenant'
  | 'home_tenant'
  | 'one_of'
  | 'audience'
  | 'secret_name'
  | 'tenant_list'
  | 'whole_number'
  | 'whole_days'
  | 'return_urls'
  | 'return_url_parts'
  | 'ncrontab'
  | 'thresholds'
  | 'emails'
  | 'sender'
  | 'time_zone'
  | 'smtp_endpoint'
  | 'overlap_days'
  | 'tenants_required'
  | 'sender_required'
  | 'storage_connection'
  | 'storage_account'
  | 'storage_missing'
  | 'identity_client_id'
  | 'identity_object_id';

type Params = Readonly<Record<string, string>>;

const LOCAL_URL_EN = 'http:// only for localhost/127.0.0.1';
const LOCAL_URL_IT = 'http:// solo per localhost/127.0.0.1';

export const SETTING_PROBLEMS: Record<Locale, Record<SettingProblemKind, (p: Params) => string>> = {
  en: {
    url: (p) => `expected an absolute https:// URL (${LOCAL_URL_EN}), e.g. ${p.example}`,
    base_url: (p) => `expected a base URL without query or fragment, e.g. ${p.example}`,
    client_id: () => "expected the app registration's application (client) ID, a GUID",
    oauth_tenant: () => "expected 'organizations', 'common', a tenant ID (GUID) or a verified domain",
    home_tenant: () => 'expected the home tenant ID (GUID) or domain of the app registration',
    one_of: (p) => `expected one of: ${p.values}`,
    audience: () =>
      'expected the audience URI of the federated credential without /.default, e.g. api://AzureADTokenExchange',
    secret_name: () => 'expected a Key Vault secret name: 1-127 letters, digits or dashes',
    tenant_list: () => 'expected a comma-separated list of tenant IDs (GUIDs), or * for any work or school tenant',
    whole_number: (p) => `expected a whole number from ${p.min} to ${p.max}`,
    whole_days: (p) => `expected a whole number of days from ${p.min} to ${p.max}`,
    return_urls: () =>
      `expected a comma-separated list of return URL origins or prefixes; each an absolute https:// URL (${LOCAL_URL_EN})`,
    return_url_parts: () =>
      'expected origins or path prefixes only (no user info, query or fragment), e.g. https://app.actnow.it/settings/',
    ncrontab: () =>
      "expected an NCRONTAB expression '{second} {minute} {hour} {day} {month} {day-of-week}', e.g. 0 0 6 * * *",
    thresholds: () => 'expected a comma-separated list of whole numbers of days, e.g. 60,30,14,7,3,1,0',
    emails: () => 'expected a comma-separated list of e-mail addresses',
    sender: () => 'expected the e-mail address of the mailbox that sends alerts',
    time_zone: () => 'expected an IANA time zone name, e.g. Europe/Rome or UTC',
    smtp_endpoint: () => 'expected host:port of the SMTP submission endpoint (STARTTLS), e.g. smtp.office365.com:587',
    overlap_days: () => "expected a whole number of days from 0 to 999, or 'never'",
    tenants_required: () =>
      'required when AZURE_TENANT_ID is a domain name (its default): the tenant IDs (GUIDs) whose users may connect mailboxes',
    sender_required: () => 'required when ALERT_RECIPIENTS is set: the e-mail address of the mailbox that sends alerts',
    storage_connection: () => 'expected a Storage connection string or UseDevelopmentStorage=true',
    storage_account: () => 'expected a storage account name: 3-24 lowercase letters or digits',
    storage_missing: (p) =>
      `expected a Storage connection string (UseDevelopmentStorage=true locally), or ${p.accountName} / ${p.tableServiceUri} for identity-based access`,
    identity_client_id: () => "expected the client id (GUID) of keyrelay's managed identity",
    identity_object_id: () => "expected the object (principal) id (GUID) of keyrelay's managed identity",
  },
  it: {
    url: (p) => `serve un URL assoluto https:// (${LOCAL_URL_IT}), es. ${p.example}`,
    base_url: (p) => `serve un URL di base senza query né frammento, es. ${p.example}`,
    client_id: () => "serve l'ID applicazione (client) della registrazione app, un GUID",
    oauth_tenant: () => "serve 'organizations', 'common', un ID tenant (GUID) o un dominio verificato",
    home_tenant: () => "serve l'ID (GUID) o il dominio del tenant della registrazione app",
    one_of: (p) => `serve uno di: ${p.values}`,
    audience: () => "serve l'URI audience della credenziale federata senza /.default, es. api://AzureADTokenExchange",
    secret_name: () => 'serve un nome di segreto Key Vault: da 1 a 127 lettere, cifre o trattini',
    tenant_list: () =>
      'serve un elenco di ID tenant (GUID) separati da virgole, oppure * per qualsiasi tenant aziendale o scolastico',
    whole_number: (p) => `serve un numero intero da ${p.min} a ${p.max}`,
    whole_days: (p) => `serve un numero intero di giorni da ${p.min} a ${p.max}`,
    return_urls: () =>
      `serve un elenco di origini o prefissi di URL di ritorno separati da virgole; ciascuno un URL assoluto https:// (${LOCAL_URL_IT})`,
    return_url_parts: () =>
      'servono solo origini o prefissi di percorso (niente credenziali, query o frammento), es. https://app.actnow.it/settings/',
    ncrontab: () =>
      "serve un'espressione NCRONTAB '{secondo} {minuto} {ora} {giorno} {mese} {giorno-della-settimana}', es. 0 0 6 * * *",
    thresholds: () => 'serve un elenco di numeri interi di giorni separati da virgole, es. 60,30,14,7,3,1,0',
    emails: () => 'serve un elenco di indirizzi e-mail separati da virgole',
    sender: () => "serve l'indirizzo e-mail della casella che invia gli avvisi",
    time_zone: () => 'serve il nome di un fuso orario IANA, es. Europe/Rome o UTC',
    smtp_endpoint: () => "serve host:porta dell'endpoint SMTP di invio (STARTTLS), es. smtp.office365.com:587",
    overlap_days: () => 'serve un numero intero di giorni da 0 a 999, oppure `never`',
    tenants_required: () =>
      'obbligatoria quando AZURE_TENANT_ID è un nome di dominio (il suo valore predefinito): gli ID tenant (GUID) i cui utenti possono collegare caselle',
    sender_required: () =>
      "obbligatoria quando ALERT_RECIPIENTS è impostata: l'indirizzo e-mail della casella che invia gli avvisi",
    storage_connection: () => 'serve una stringa di connessione Storage oppure UseDevelopmentStorage=true',
    storage_account: () => 'serve il nome di un account di archiviazione: da 3 a 24 lettere minuscole o cifre',
    storage_missing: (p) =>
      `serve una stringa di connessione Storage (in locale UseDevelopmentStorage=true), oppure ${p.accountName} / ${p.tableServiceUri} per l'accesso con identità`,
    identity_client_id: () => "serve il client id (GUID) dell'identità gestita di keyrelay",
    identity_object_id: () => "serve l'object id (principal id, GUID) dell'identità gestita di keyrelay",
  },
};

const MISSING: Record<Locale, string> = { en: 'missing', it: 'mancante' };

interface KnownProblem {
  kind: SettingProblemKind;
  params: Params;
  missing: boolean;
}

// Every English text settingProblem has produced: the schema builds them all once, at load.
const known = new Map<string, KnownProblem>();

/** The English text of a problem (what ConfigError and the host's log say), remembered for translation. */
export function settingProblem(
  kind: SettingProblemKind,
  params: Params = {},
  options: { missing?: boolean } = {},
): string {
  const missing = options.missing === true;
  const english = render('en', { kind, params, missing });
  known.set(english, { kind, params, missing });
  return english;
}

function render(locale: Locale, { kind, params, missing }: KnownProblem): string {
  const text = SETTING_PROBLEMS[locale][kind](params);
  return missing ? `${MISSING[locale]}; ${text}` : text;
}

/** A problem text of ConfigError in `locale`; a text settingProblem did not make stays as it is. */
export function settingProblemIn(locale: Locale, englishText: string): string {
  const problem = known.get(englishText);
  return problem === undefined ? englishText : render(locale, problem);
}
