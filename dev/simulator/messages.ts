// The simulator's words in Italian (ActNow's users are Italian) and English. Plain text only: the page
// renderer escapes every value.
import type { Locale } from '#src/shared/presentation/locale.js';

export interface SimulatorMessages {
  title: string;
  intro: string;
  otherLanguage: { label: string; locale: Locale };
  connectHeading: string;
  connectExplain: (sender: string) => string;
  connectAs: (mailbox: string) => string;
  connectOther: string;
  browserWarning: (entraOrigin: string) => string;
  connected: (mailbox: string) => string;
  mailboxesHeading: string;
  noMailboxes: string;
  mailboxColumns: { mailbox: string; status: string; lastRefresh: string; inactivity: string; action: string };
  mailboxStatus: { ok: string; reconnect_required: string };
  grantDaysLeft: (days: number) => string;
  getSmtpToken: string;
  sendTestMail: string;
  testMailSubject: string;
  testMailSent: (mailbox: string) => string;
  testMailFailed: (code: string, message: string) => string;
  statusUnavailable: (detail: string) => string;
  tokenHeading: string;
  tokenExplain: string;
  tokenFields: {
    mailbox: string;
    expiresOn: string;
    accessToken: string;
    xoauth2: string;
    smtp: string;
    matches: string;
  };
  xoauth2Matches: string;
  xoauth2Mismatch: string;
  tokenFailed: (code: string, message: string) => string;
  secretHeading: string;
  secretExplain: string;
  secretColumns: { keyId: string; name: string; expires: string; daysLeft: string; inUse: string };
  inUse: string;
  expireLabel: string;
  expireButton: string;
  expireDone: (days: number, date: string) => string;
  expireInvalid: string;
  refuseSecretsButton: string;
  refuseSecretsDone: string;
  expireNoSecret: string;
  noClientSecret: string;
  postureLabel: string;
  posture: { secret: string; federated: string };
  secretlessHeading: string;
  secretlessExplain: string;
  secretlessButton: string;
  secretlessDone: string;
  secretlessFailed: (detail: string) => string;
  monitorHeading: string;
  monitorExplain: string;
  monitorButton: string;
  monitorDone: (runId: string) => string;
  monitorAccepted: string;
  monitorFailed: (detail: string) => string;
  running: string;
  runsEmpty: string;
  rotationsHeading: string;
  rotationsEmpty: string;
  outboxHeading: string;
  outboxExplain: string;
  outboxEmpty: string;
  outboxColumns: { received: string; from: string; to: string; subject: string };
  open: string;
  statusLinkHeading: string;
  statusLinkExplain: string;
  statusLink: string;
  mailBack: string;
  mailFields: { from: string; to: string; subject: string; received: string; attachments: string };
  notFound: string;
  badRequest: string;
}

const it: SimulatorMessages = {
  title: 'ActNow — simulatore',
  intro:
    'Questa pagina fa la parte di ActNow, il prodotto che invia la posta. ActNow non tiene alcun segreto: chiede a keyrelay un token ogni volta che invia. Tutto gira su questo computer: Entra ID, Graph e Key Vault sono emulatori locali.',
  otherLanguage: { label: 'English', locale: 'en' },
  connectHeading: '1. Collega una casella di posta',
  connectExplain: (sender) =>
    `L'accesso passa da keyrelay (/api/connect) e torna qui. Gli avvisi partono da ${sender}: collegala per prima.`,
  connectAs: (mailbox) => `Collega ${mailbox}`,
  connectOther: 'Scegli un altro account',
  browserWarning: (entraOrigin) =>
    `La pagina di accesso locale (${entraOrigin}) usa un certificato della CA di prova generata per questa sessione: il browser può mostrare un avviso.`,
  connected: (mailbox) => `Casella collegata: ${mailbox}`,
  mailboxesHeading: '2. Caselle collegate',
  noMailboxes: 'Nessuna casella collegata.',
  mailboxColumns: {
    mailbox: 'Casella',
    status: 'Stato',
    lastRefresh: 'Ultimo rinnovo',
    inactivity: 'Scadenza per inattività',
    action: '',
  },
  mailboxStatus: { ok: 'attiva', reconnect_required: 'da ricollegare' },
  grantDaysLeft: (days) => `tra ${days} giorni`,
  getSmtpToken: 'Ottieni token SMTP',
  sendTestMail: 'Invia una mail di prova',
  testMailSubject: 'keyrelay: mail di prova via SMTP',
  testMailSent: (mailbox) => `Mail di prova inviata da ${mailbox} via SMTP (AUTH XOAUTH2): è nella posta in uscita.`,
  testMailFailed: (code, message) => `Mail di prova non inviata (${code}): ${message}`,
  statusUnavailable: (detail) => `Stato di keyrelay non disponibile: ${detail}`,
  tokenHeading: 'Ultimo token SMTP',
  tokenExplain:
    'ActNow chiama POST /api/token lato server e usa la stringa XOAUTH2 per AUTH su smtp.office365.com. Il token qui è oscurato.',
  tokenFields: {
    mailbox: 'Casella',
    expiresOn: 'Scade',
    accessToken: 'Access token',
    xoauth2: 'XOAUTH2 decodificato',
    smtp: 'Server SMTP',
    matches: 'Verifica',
  },
  xoauth2Matches: 'la stringa XOAUTH2 contiene questa casella e questo token',
  xoauth2Mismatch: 'la stringa XOAUTH2 NON corrisponde alla casella o al token',
  tokenFailed: (code, message) => `Token rifiutato (${code}): ${message}`,
  secretHeading: '3. Il segreto client dell’app',
  secretExplain:
    'Simula il passare del tempo: sposta la scadenza del segreto in uso (su Graph e in Key Vault, come dopo un rinnovo reale) a N giorni da oggi.',
  secretColumns: { keyId: 'keyId', name: 'Nome', expires: 'Scade', daysLeft: 'Giorni rimasti', inUse: 'In uso' },
  inUse: 'in uso',
  expireLabel: 'Il segreto scade tra (giorni)',
  expireButton: 'Fai scadere il segreto',
  expireDone: (days, date) => `Il segreto in uso ora scade tra ${days} giorni (${date}).`,
  expireInvalid: 'Indica un numero intero di giorni da 0 a 730.',
  refuseSecretsButton: 'Simula un guasto: Entra ID rifiuta i nuovi segreti',
  refuseSecretsDone:
    'Da ora Graph rifiuta la creazione di nuovi segreti (403): il prossimo rinnovo non riesce e keyrelay avvisa l’amministratore.',
  expireNoSecret: 'L’app non ha più un segreto client: non c’è niente da far scadere.',
  noClientSecret: 'Nessun segreto client sull’app e nessuno in Key Vault: niente scade, niente da ruotare.',
  postureLabel: 'Credenziale di keyrelay',
  posture: {
    secret: 'segreto client (ruotato da keyrelay)',
    federated: 'federata: l’identità gestita di keyrelay, nessun segreto in uso',
  },
  secretlessHeading: 'Passa a senza segreti',
  secretlessExplain:
    'aggiunge all’app la credenziale federata dell’identità di keyrelay, verifica un token con l’asserzione, passa a OAUTH_CLIENT_CREDENTIAL=federated (l’host locale riparte), toglie il vecchio segreto da Graph e da Key Vault, poi esegue il monitor.',
  secretlessButton: 'Passa a senza segreti',
  secretlessDone:
    'keyrelay ora usa la sua identità gestita come credenziale federata: il vecchio segreto è stato rimosso dall’app e da Key Vault.',
  secretlessFailed: (detail) => `Migrazione interrotta: ${detail}`,
  monitorHeading: '4. Monitor delle scadenze',
  monitorExplain: 'Di solito gira ogni mattina; qui lo avvii a mano (POST /admin/functions/expiryMonitor sull’host).',
  monitorButton: 'Esegui ora il monitor',
  monitorDone: (runId) => `Monitor eseguito (esecuzione ${runId}).`,
  monitorAccepted: 'Monitor avviato: il risultato comparirà tra poco.',
  monitorFailed: (detail) => `Il monitor non è partito: ${detail}`,
  running: 'in corso',
  runsEmpty: 'Nessuna esecuzione registrata.',
  rotationsHeading: 'Rotazioni',
  rotationsEmpty: 'Nessuna rotazione.',
  outboxHeading: '5. Posta in uscita degli avvisi',
  outboxExplain: 'I messaggi che keyrelay ha inviato tramite Graph sendMail, come li vedrebbe l’amministratore.',
  outboxEmpty: 'Nessun messaggio inviato.',
  outboxColumns: { received: 'Ricevuto', from: 'Da', to: 'A', subject: 'Oggetto' },
  open: 'Apri',
  statusLinkHeading: 'Pagina di stato per l’amministratore',
  statusLinkExplain: 'La dashboard di keyrelay (GET /api/status, protetta dalla function key).',
  statusLink: 'Apri la pagina di stato',
  mailBack: '← torna al simulatore',
  mailFields: { from: 'Da', to: 'A', subject: 'Oggetto', received: 'Ricevuto', attachments: 'Allegati' },
  notFound: 'Pagina non trovata.',
  badRequest: 'Richiesta non valida: ricarica la pagina e riprova.',
};

const en: SimulatorMessages = {
  title: 'ActNow — simulator',
  intro:
    'This page plays ActNow, the product that sends the mail. ActNow holds no secret: it asks keyrelay for a token each time it sends. Everything runs on this machine: Entra ID, Graph and Key Vault are local emulators.',
  otherLanguage: { label: 'Italiano', locale: 'it' },
  connectHeading: '1. Connect a mailbox',
  connectExplain: (sender) =>
    `Sign-in goes through keyrelay (/api/connect) and comes back here. Alerts are sent from ${sender}: connect it first.`,
  connectAs: (mailbox) => `Connect ${mailbox}`,
  connectOther: 'Pick another account',
  browserWarning: (entraOrigin) =>
    `The local sign-in page (${entraOrigin}) uses a certificate from the test CA generated for this session: your browser may warn about it.`,
  connected: (mailbox) => `Mailbox connected: ${mailbox}`,
  mailboxesHeading: '2. Connected mailboxes',
  noMailboxes: 'No mailbox connected yet.',
  mailboxColumns: {
    mailbox: 'Mailbox',
    status: 'Status',
    lastRefresh: 'Last refresh',
    inactivity: 'Inactivity expiry',
    action: '',
  },
  mailboxStatus: { ok: 'active', reconnect_required: 'reconnect required' },
  grantDaysLeft: (days) => `in ${days} days`,
  getSmtpToken: 'Get SMTP token',
  sendTestMail: 'Send a test mail',
  testMailSubject: 'keyrelay: test mail over SMTP',
  testMailSent: (mailbox) => `Test mail sent from ${mailbox} over SMTP (AUTH XOAUTH2): it is in the outbox.`,
  testMailFailed: (code, message) => `Test mail not sent (${code}): ${message}`,
  statusUnavailable: (detail) => `keyrelay status unavailable: ${detail}`,
  tokenHeading: 'Last SMTP token',
  tokenExplain:
    'ActNow calls POST /api/token server-side and uses the XOAUTH2 string for AUTH on smtp.office365.com. The token is redacted here.',
  tokenFields: {
    mailbox: 'Mailbox',
    expiresOn: 'Expires',
    accessToken: 'Access token',
    xoauth2: 'XOAUTH2 decoded',
    smtp: 'SMTP server',
    matches: 'Check',
  },
  xoauth2Matches: 'the XOAUTH2 string carries this mailbox and this token',
  xoauth2Mismatch: 'the XOAUTH2 string does NOT match the mailbox or the token',
  tokenFailed: (code, message) => `Token refused (${code}): ${message}`,
  secretHeading: '3. The app’s client secret',
  secretExplain:
    'Simulate time passing: move the expiry of the secret in use (in Graph and in Key Vault, as after a real renewal) to N days from today.',
  secretColumns: { keyId: 'keyId', name: 'Name', expires: 'Expires', daysLeft: 'Days left', inUse: 'In use' },
  inUse: 'in use',
  expireLabel: 'The secret expires in (days)',
  expireButton: 'Make the client secret expire',
  expireDone: (days, date) => `The secret in use now expires in ${days} days (${date}).`,
  expireInvalid: 'Give a whole number of days from 0 to 730.',
  refuseSecretsButton: 'Simulate a failure: Entra ID refuses new secrets',
  refuseSecretsDone:
    'Graph now refuses to create new secrets (403): the next renewal fails and keyrelay alerts the admin.',
  expireNoSecret: 'The app has no client secret any more: there is nothing to expire.',
  noClientSecret: 'No client secret on the app and none in Key Vault: nothing expires, nothing to rotate.',
  postureLabel: 'keyrelay’s credential',
  posture: {
    secret: 'client secret (rotated by keyrelay)',
    federated: 'federated: keyrelay’s managed identity, no secret in use',
  },
  secretlessHeading: 'Go secretless',
  secretlessExplain:
    'adds keyrelay’s identity to the app as a federated credential, verifies a token with the assertion, switches to OAUTH_CLIENT_CREDENTIAL=federated (the local host restarts), removes the old secret from Graph and Key Vault, then runs the monitor.',
  secretlessButton: 'Go secretless',
  secretlessDone:
    'keyrelay now signs in with its managed identity as a federated credential: the old secret is removed from the app and from Key Vault.',
  secretlessFailed: (detail) => `Migration stopped: ${detail}`,
  monitorHeading: '4. Expiry monitor',
  monitorExplain:
    'It normally runs every morning; here you start it by hand (POST /admin/functions/expiryMonitor on the host).',
  monitorButton: 'Run the expiry monitor now',
  monitorDone: (runId) => `Monitor run finished (run ${runId}).`,
  monitorAccepted: 'Monitor started: its result will show up shortly.',
  monitorFailed: (detail) => `The monitor did not start: ${detail}`,
  running: 'running',
  runsEmpty: 'No run recorded yet.',
  rotationsHeading: 'Rotations',
  rotationsEmpty: 'No rotation yet.',
  outboxHeading: '5. Alert outbox',
  outboxExplain: 'The messages keyrelay sent through Graph sendMail, as the admin would see them.',
  outboxEmpty: 'No message sent yet.',
  outboxColumns: { received: 'Received', from: 'From', to: 'To', subject: 'Subject' },
  open: 'Open',
  statusLinkHeading: 'Admin status page',
  statusLinkExplain: 'keyrelay’s dashboard (GET /api/status, protected by the function key).',
  statusLink: 'Open the status page',
  mailBack: '← back to the simulator',
  mailFields: { from: 'From', to: 'To', subject: 'Subject', received: 'Received', attachments: 'Attachments' },
  notFound: 'Page not found.',
  badRequest: 'Invalid request: reload the page and try again.',
};

export const SIMULATOR_MESSAGES: Readonly<Record<Locale, SimulatorMessages>> = { it, en };
