// The admin digest (one per monitor run): what expires, when, the impact, what keyrelay did or will do,
// and the admin's steps — Italian by default, English available. HTML with inline styles only (mail
// clients strip <style> and block remote assets); every interpolated value is escaped. The input never
// carries secret values.
import { escapeHtml, escapeHtmlWithCode, safeHref } from '#src/shared/presentation/html.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { formatDate, formatTime, type DisplayZone } from '#src/shared/presentation/time.js';
import { rotationErrorFix } from './rotationErrorFix.js';
import { describeRunGaps, runGapsHeading } from './runGaps.js';
import type { CredentialKind, MonitoredCredential } from './credentials.js';
import type { RotationBlockedReason } from './rotationPlan.js';
import { federatedHeadline, federatedParagraphs, type FederatedPostureNotice } from './federatedPosture.js';

export interface DigestApp {
  appId: string;
  tenantId: string;
  displayName: string;
}

/** `step_failed`: a rotation step keeps failing (or the rotation is stuck in one step); the action names the code. */
export type RotationFailureReason =
  RotationBlockedReason | 'verification_failed' | 'upstream_unavailable' | 'step_failed';

export type DigestAction =
  | { kind: 'rotation-planned'; on: Date }
  | { kind: 'rotated'; on: Date; newExpiresAt: Date }
  | { kind: 'rotation-failed'; reason: RotationFailureReason; errorCode?: string }
  /** Nothing automatic: ROTATION_MODE=alert-only for the client secret, by nature for anything else. */
  | { kind: 'alert-only' }
  /** A client secret of the app that keyrelay does not authenticate with (an old or unused password). */
  | { kind: 'not-in-use' }
  /** ROTATION_MODE=auto, but keyrelay cannot tell which of the app's passwords it authenticates with. */
  | { kind: 'in-use-unknown' };

export interface DigestItem {
  credential: MonitoredCredential;
  daysLeft: number;
  state: 'expiring' | 'expired';
  expiresAt: Date;
  action: DigestAction;
}

export interface MailboxReconnect {
  upn: string;
  reconnectUrl: string;
  errorCode?: string;
}

/** One switch to a new client secret; with neither oldRemovedAt nor oldRemovalAfter keyrelay keeps the old one. */
export interface RotationHistoryEntry {
  renewedAt: Date;
  /** The end of the new secret. */
  newExpiresAt?: Date;
  oldRemovedAt?: Date;
  /** Not removed yet: keyrelay removes the old secret from this instant (the end of the overlap). */
  oldRemovalAfter?: Date;
  /** The replaced password's keyId: lets the digest say what keyrelay does with that secret. */
  oldKeyId?: string;
}

/** The renewal this run completed, announced at the top of the digest. */
export interface RenewalNotice extends RotationHistoryEntry {
  /** The end of the secret it replaced. */
  oldExpiresAt?: Date;
}

export interface DigestInput {
  app: DigestApp;
  /** ALERT_TIME_ZONE: every date and time in the digest is in this zone, printed with it. */
  timeZone: string;
  /** OAUTH_CLIENT_CREDENTIAL: in `federated` mode every client secret left on the app is no longer needed. */
  clientCredential?: 'secret' | 'federated';
  items: readonly DigestItem[];
  reconnects: readonly MailboxReconnect[];
  /** A Graph permission keyrelay lacked (403), so Key Vault expiry dates were used instead. */
  missingPermission?: string;
  rotationHistory: readonly RotationHistoryEntry[];
  /** Set when this run switched to a new client secret: the digest announces it. */
  renewal?: RenewalNotice;
  /** The run's error codes so far: those that mean "not checked" get a short section (runGaps.ts). */
  runErrors?: readonly string[];
  /** OAUTH_CLIENT_CREDENTIAL=federated: the federated credential's problem and leftover secrets (federatedPosture.ts). */
  federated?: FederatedPostureNotice;
}

export interface RenderedDigest {
  subject: string;
  html: string;
  text: string;
}

const PRODUCT = 'ActNow';

export function portalCredentialsUrl(appId: string): string {
  return `https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/${encodeURIComponent(appId)}`;
}

/** A failure's explanation, with its error code where the message has a place for one. */
function failureText(messages: Messages, action: Extract<DigestAction, { kind: 'rotation-failed' }>): string {
  const code = action.errorCode !== undefined ? ` (${messages.errorCode(action.errorCode)})` : '';
  const fix = action.errorCode !== undefined ? ` ${messages.fix(action.errorCode)}` : '';
  return messages.failure[action.reason].replace('{code}', code).replace('{fix}', fix);
}

function isUnusedSecret(item: DigestItem): boolean {
  return item.credential.kind === 'client-secret' && item.credential.inUse === false;
}

interface Messages {
  kind: Record<CredentialKind, string>;
  remaining(daysLeft: number, state: DigestItem['state']): string;
  expiresOn(at: Date): string;
  impact(item: DigestItem): string;
  action(action: DigestAction, kind: CredentialKind): string;
  failure: Record<RotationFailureReason, string>;
  subject(app: string, headline: string, more: number): string;
  subjectRenewed(app: string, renewedOn: string): string;
  subjectReconnectOnly(app: string, count: number): string;
  subjectNothing(app: string): string;
  /** Something happened (a renewal, a superseded secret) but the admin has nothing to do. */
  subjectNothingToDo(app: string): string;
  nothingToDo: string;
  /** Appended to a subject that names a secret whose automatic renewal failed. */
  renewalFailed: string;
  /** OAUTH_CLIENT_CREDENTIAL=federated: a client secret left on the app, for the subject and the table. */
  notNeededHeadline(count: number): string;
  notNeeded: string;
  quietHeading: string;
  quietIntro: string;
  /** A client secret keyrelay no longer authenticates with, and what keyrelay does with it. */
  superseded(item: DigestItem, fate: SupersededFate): string;
  title: string;
  titleOther: string;
  renewalHeading: string;
  renewal(renewal: RenewalNotice): string;
  intro(app: DigestApp): string;
  credentialsHeading: string;
  columns: [string, string, string, string, string];
  stepsHeading: string;
  manualSteps: string[];
  automaticStep: string;
  portalLink: string;
  reconnectHeading: string;
  reconnectIntro: string;
  reconnectLink: string;
  errorCode(code: string): string;
  /** One line on what to do about a failing step's code. */
  fix(code: string): string;
  missingPermission(permission: string): string;
  historyHeading: string;
  history(entry: RotationHistoryEntry): string;
  footer: string;
}

function italian(zone: DisplayZone): Messages {
  const date = (d: Date): string => formatDate(d, zone);
  const messages: Messages = {
    kind: {
      'client-secret': 'segreto client',
      certificate: 'certificato',
      'key-vault-secret': 'segreto Key Vault',
      'mailbox-grant': 'accesso alla casella',
    },
    remaining: (days, state) => {
      if (state === 'expired')
        return days === 0
          ? 'scaduto oggi'
          : `scaduto da ${Math.abs(days)} ${Math.abs(days) === 1 ? 'giorno' : 'giorni'}`;
      if (days === 0) return 'scade oggi';
      if (days === 1) return 'scade domani';
      return `scade tra ${days} giorni`;
    },
    expiresOn: (at) => `${date(at)}, ore ${formatTime(at, zone)}`,
    impact: (item) =>
      item.credential.kind === 'mailbox-grant'
        ? `${PRODUCT} smetterà di inviare posta da ${item.credential.label} finché la casella non verrà ricollegata.`
        : item.credential.kind === 'key-vault-secret'
          ? `Chi usa il segreto ${item.credential.label} non potrà più autenticarsi.`
          : isUnusedSecret(item)
            ? 'Nessun impatto su keyrelay, che non lo usa; chi usa ancora questo segreto non potrà più autenticarsi.'
            : `keyrelay non potrà più rinnovare i token: ${PRODUCT} smetterà di inviare posta da tutte le caselle collegate.`,
    action: (action, kind) => {
      switch (action.kind) {
        case 'rotation-planned':
          return `keyrelay lo rinnoverà automaticamente il ${date(action.on)}.`;
        case 'rotated':
          return `keyrelay lo ha rinnovato il ${date(action.on)}; il nuovo segreto vale fino al ${date(action.newExpiresAt)}. Nessuna azione richiesta.`;
        case 'rotation-failed':
          return `Il rinnovo automatico non è riuscito: ${failureText(messages, action)}`;
        case 'alert-only':
          return kind === 'client-secret'
            ? 'Il rinnovo automatico è disattivato (ROTATION_MODE=alert-only): rinnovalo a mano seguendo i passi qui sotto.'
            : 'keyrelay non può rinnovarlo da solo: rinnovalo a mano.';
        case 'not-in-use':
          return 'keyrelay non usa questo segreto: non serve rinnovarlo.';
        case 'in-use-unknown':
          return 'keyrelay non riesce a stabilire quale segreto client sta usando, quindi non può rinnovarlo da solo: rinnovalo a mano seguendo i passi qui sotto.';
      }
    },
    failure: {
      permission_denied:
        "all'identità di keyrelay manca il permesso Application.ReadWrite.OwnedBy o non è proprietaria dell'app.",
      policy_lifetime:
        "i criteri del tenant limitano la durata dei segreti client sotto ogni durata provata da keyrelay: concedi all'identità di keyrelay Policy.Read.All perché legga il limite, oppure passa a OAUTH_CLIENT_CREDENTIAL=federated (nessun segreto da rinnovare).",
      policy_forbidden:
        "i criteri del tenant vietano i segreti client per quest'app: passa a OAUTH_CLIENT_CREDENTIAL=federated, l'identità gestita di keyrelay come credenziale federata dell'app (nessun segreto da rinnovare).",
      verification_failed:
        'il nuovo segreto non è stato accettato da Entra ID ed è stato rimosso; il segreto attuale resta in uso. keyrelay riproverà domani.',
      upstream_unavailable:
        'Microsoft Graph o Key Vault non erano raggiungibili; keyrelay riproverà alla prossima esecuzione.',
      step_failed:
        'un passo del rinnovo non è riuscito{code}:{fix} Il segreto attuale resta in uso. keyrelay riprova a ogni esecuzione, ma se il problema persiste rinnova il segreto a mano seguendo i passi qui sotto.',
    },
    subject: (app, headline, more) => `${subjectTag(app)} ${headline}${more > 0 ? ` (+${more})` : ''}`,
    subjectRenewed: (app, renewedOn) =>
      `${subjectTag(app)} segreto client rinnovato il ${renewedOn}, nessuna azione richiesta`,
    subjectReconnectOnly: (app, count) =>
      `${subjectTag(app)} ${count === 1 ? '1 casella da ricollegare' : `${count} caselle da ricollegare`}`,
    subjectNothing: (app) => `${subjectTag(app)} nessuna credenziale in scadenza`,
    subjectNothingToDo: (app) => `${subjectTag(app)} nessuna azione richiesta`,
    nothingToDo: 'nessuna azione richiesta',
    renewalFailed: 'rinnovo automatico non riuscito',
    notNeededHeadline: (count) =>
      count === 1 ? '1 segreto client non più necessario' : `${count} segreti client non più necessari`,
    notNeeded:
      "Non più necessario: keyrelay usa la credenziale federata e non tocca questo segreto. Eliminalo dal portale (Certificati e segreti) quando nient'altro lo usa.",
    quietHeading: 'Nessuna azione richiesta',
    quietIntro: 'Segreti client che keyrelay non usa più; sono elencati solo perché si avvicinano alla scadenza.',
    superseded: (item, fate) => {
      const what = `Vecchio segreto client «${item.credential.label}» (scade il ${date(item.expiresAt)})`;
      switch (fate.kind) {
        case 'removal':
          return `${what}: sostituito dal rinnovo, non più in uso. keyrelay lo rimuoverà da solo dal ${date(fate.on)}.`;
        case 'kept':
          return `${what}: sostituito dal rinnovo, non più in uso. keyrelay lo lascia fino alla scadenza (\`ROTATION_OVERLAP_DAYS=never\`); nessun impatto su keyrelay.`;
        case 'not-keyrelay':
          return `Segreto client «${item.credential.label}» (scade il ${date(item.expiresAt)}): keyrelay non lo usa e non lo tocca, nessun impatto su keyrelay. Se nient'altro lo usa, puoi eliminarlo dal portale.`;
      }
    },
    title: 'Credenziali in scadenza',
    titleOther: 'Riepilogo di keyrelay',
    renewalHeading: 'Segreto client rinnovato',
    renewal: (renewal) => {
      const renewed = `keyrelay ha rinnovato il segreto client il ${date(renewal.renewedAt)}${renewal.newExpiresAt ? `: il nuovo segreto vale fino al ${date(renewal.newExpiresAt)} ed è già in uso` : ' e il nuovo segreto è già in uso'}.`;
      const expiring = renewal.oldExpiresAt ? ` (in scadenza il ${date(renewal.oldExpiresAt)})` : '';
      const old = renewal.oldRemovedAt
        ? `Il vecchio segreto${expiring} è stato rimosso il ${date(renewal.oldRemovedAt)}.`
        : renewal.oldRemovalAfter
          ? `keyrelay rimuoverà il vecchio segreto${expiring} dal ${date(renewal.oldRemovalAfter)} in poi.`
          : `keyrelay non rimuove il vecchio segreto${expiring}: resta valido fino alla sua scadenza.`;
      return `${renewed} ${old} Nessuna azione richiesta.`;
    },
    intro: (app) =>
      `Riepilogo di keyrelay per l'app «${app.displayName}» (ID applicazione ${app.appId}, tenant ${app.tenantId}).`,
    credentialsHeading: 'Cosa scade',
    columns: ['Credenziale', 'Scadenza', 'Giorni', 'Impatto', 'Cosa fa keyrelay'],
    stepsHeading: 'Cosa devi fare',
    manualSteps: [
      "Apri Certificati e segreti dell'app nel portale di Azure (link qui sotto).",
      'In Segreti client scegli Nuovo segreto client: descrizione «ActNow», scadenza 24 mesi.',
      'Non copiare il valore in un blocco note o in una mail: salvalo direttamente nel segreto Key Vault che keyrelay legge (con il comando di setup di keyrelay).',
      'In Autorizzazioni API verifica i permessi delegati SMTP.Send (Office 365 Exchange Online), Mail.Send e offline_access (Microsoft Graph), con il consenso amministratore.',
    ],
    automaticStep:
      "Meglio ancora: lascia che keyrelay rinnovi il segreto da solo. Concedi all'identità gestita di keyrelay il permesso applicativo Application.ReadWrite.OwnedBy e rendila proprietaria dell'app.",
    portalLink: 'Apri Certificati e segreti nel portale di Azure',
    reconnectHeading: 'Caselle da ricollegare',
    reconnectIntro:
      "L'accesso di queste caselle è stato revocato o è scaduto: finché non vengono ricollegate, ActNow non può inviare posta da esse.",
    reconnectLink: 'Ricollega',
    errorCode: (code) => `codice errore \`${code}\``,
    fix: (code) => rotationErrorFix(code, 'it'),
    missingPermission: (permission) =>
      `keyrelay non ha potuto leggere le credenziali dell'app da Microsoft Graph (manca il permesso ${permission}): le date qui sotto vengono da Key Vault. Concedi il permesso perché keyrelay veda ogni segreto e certificato.`,
    historyHeading: 'Rinnovi automatici',
    history: (entry) => {
      const old = entry.oldRemovedAt
        ? `vecchio segreto rimosso il ${date(entry.oldRemovedAt)}`
        : entry.oldRemovalAfter
          ? `vecchio segreto da rimuovere dal ${date(entry.oldRemovalAfter)} in poi`
          : 'vecchio segreto lasciato fino alla sua scadenza';
      return `Segreto rinnovato il ${date(entry.renewedAt)}, ${old}.`;
    },
    footer: 'Messaggio automatico di keyrelay. Non contiene segreti.',
  };
  return messages;
}

function english(zone: DisplayZone): Messages {
  const date = (d: Date): string => formatDate(d, zone);
  const messages: Messages = {
    kind: {
      'client-secret': 'client secret',
      certificate: 'certificate',
      'key-vault-secret': 'Key Vault secret',
      'mailbox-grant': 'mailbox access',
    },
    remaining: (days, state) => {
      if (state === 'expired')
        return days === 0 ? 'expired today' : `expired ${Math.abs(days)} ${Math.abs(days) === 1 ? 'day' : 'days'} ago`;
      if (days === 0) return 'expires today';
      if (days === 1) return 'expires tomorrow';
      return `expires in ${days} days`;
    },
    expiresOn: (at) => `${date(at)}, ${formatTime(at, zone)}`,
    impact: (item) =>
      item.credential.kind === 'mailbox-grant'
        ? `${PRODUCT} will stop sending mail from ${item.credential.label} until the mailbox is reconnected.`
        : item.credential.kind === 'key-vault-secret'
          ? `Whatever uses the secret ${item.credential.label} will no longer authenticate.`
          : isUnusedSecret(item)
            ? 'No impact on keyrelay, which does not use it; whatever still uses this secret will no longer authenticate.'
            : `keyrelay will no longer be able to refresh tokens: ${PRODUCT} will stop sending mail from every connected mailbox.`,
    action: (action, kind) => {
      switch (action.kind) {
        case 'rotation-planned':
          return `keyrelay will renew it automatically on ${date(action.on)}.`;
        case 'rotated':
          return `keyrelay renewed it on ${date(action.on)}; the new secret is valid until ${date(action.newExpiresAt)}. Nothing to do.`;
        case 'rotation-failed':
          return `Automatic renewal failed: ${failureText(messages, action)}`;
        case 'alert-only':
          return kind === 'client-secret'
            ? 'Automatic renewal is off (ROTATION_MODE=alert-only): renew it by hand with the steps below.'
            : 'keyrelay cannot renew it by itself: renew it by hand.';
        case 'not-in-use':
          return 'keyrelay does not use this secret: there is nothing to renew.';
        case 'in-use-unknown':
          return 'keyrelay cannot tell which client secret it uses, so it cannot renew it by itself: renew it by hand with the steps below.';
      }
    },
    failure: {
      permission_denied: "keyrelay's identity lacks Application.ReadWrite.OwnedBy or is not an owner of the app.",
      policy_lifetime:
        "the tenant's policy caps client secret lifetime below every lifetime keyrelay tried: grant keyrelay's identity Policy.Read.All so it can read the cap, or switch to OAUTH_CLIENT_CREDENTIAL=federated (no secret to renew).",
      policy_forbidden:
        "the tenant's policy forbids client secrets for this app: switch to OAUTH_CLIENT_CREDENTIAL=federated, keyrelay's managed identity as the app's federated credential (no secret to renew).",
      verification_failed:
        'Entra ID did not accept the new secret, so it was removed; the current secret stays in use. keyrelay will try again tomorrow.',
      upstream_unavailable:
        'Microsoft Graph or Key Vault could not be reached; keyrelay will try again on the next run.',
      step_failed:
        'a renewal step failed{code}:{fix} The current secret stays in use. keyrelay tries again on every run, but if this persists renew the secret by hand with the steps below.',
    },
    subject: (app, headline, more) => `${subjectTag(app)} ${headline}${more > 0 ? ` (+${more})` : ''}`,
    subjectRenewed: (app, renewedOn) => `${subjectTag(app)} client secret renewed on ${renewedOn}, nothing to do`,
    subjectReconnectOnly: (app, count) =>
      `${subjectTag(app)} ${count === 1 ? '1 mailbox to reconnect' : `${count} mailboxes to reconnect`}`,
    subjectNothing: (app) => `${subjectTag(app)} no credential expiring`,
    subjectNothingToDo: (app) => `${subjectTag(app)} nothing to do`,
    nothingToDo: 'nothing to do',
    renewalFailed: 'automatic renewal failed',
    notNeededHeadline: (count) =>
      count === 1 ? '1 client secret no longer needed' : `${count} client secrets no longer needed`,
    notNeeded:
      'No longer needed: keyrelay uses the federated credential and does not touch this secret. Delete it in the portal (Certificates & secrets) once nothing else uses it.',
    quietHeading: 'No action needed',
    quietIntro: 'Client secrets keyrelay no longer uses; listed only because they near their expiry.',
    superseded: (item, fate) => {
      const what = `Old client secret "${item.credential.label}" (expires on ${date(item.expiresAt)})`;
      switch (fate.kind) {
        case 'removal':
          return `${what}: replaced by the renewal, no longer in use. keyrelay removes it itself on or after ${date(fate.on)}.`;
        case 'kept':
          return `${what}: replaced by the renewal, no longer in use. keyrelay leaves it until it expires (\`ROTATION_OVERLAP_DAYS=never\`); no impact on keyrelay.`;
        case 'not-keyrelay':
          return `Client secret "${item.credential.label}" (expires on ${date(item.expiresAt)}): keyrelay does not use it and does not touch it, no impact on keyrelay. If nothing else uses it, you may delete it in the portal.`;
      }
    },
    title: 'Expiring credentials',
    titleOther: 'keyrelay summary',
    renewalHeading: 'Client secret renewed',
    renewal: (renewal) => {
      const renewed = `keyrelay renewed the client secret on ${date(renewal.renewedAt)}${renewal.newExpiresAt ? `: the new secret is valid until ${date(renewal.newExpiresAt)} and already in use` : ' and the new secret is already in use'}.`;
      const expiring = renewal.oldExpiresAt ? ` (expiring on ${date(renewal.oldExpiresAt)})` : '';
      const old = renewal.oldRemovedAt
        ? `The old secret${expiring} was removed on ${date(renewal.oldRemovedAt)}.`
        : renewal.oldRemovalAfter
          ? `keyrelay will remove the old secret${expiring} on or after ${date(renewal.oldRemovalAfter)}.`
          : `keyrelay does not remove the old secret${expiring}: it stays valid until it expires.`;
      return `${renewed} ${old} Nothing to do.`;
    },
    intro: (app) =>
      `keyrelay digest for the app "${app.displayName}" (application ID ${app.appId}, tenant ${app.tenantId}).`,
    credentialsHeading: 'What expires',
    columns: ['Credential', 'Expires', 'Days', 'Impact', 'What keyrelay does'],
    stepsHeading: 'What you need to do',
    manualSteps: [
      "Open the app's Certificates & secrets page in the Azure portal (link below).",
      'Under Client secrets choose New client secret: description "ActNow", expiry 24 months.',
      'Do not copy the value into a notepad or an e-mail: store it directly in the Key Vault secret keyrelay reads (with the keyrelay setup command).',
      'Under API permissions check the delegated permissions SMTP.Send (Office 365 Exchange Online), Mail.Send and offline_access (Microsoft Graph), with admin consent.',
    ],
    automaticStep:
      "Better: let keyrelay renew the secret itself. Grant keyrelay's managed identity the application permission Application.ReadWrite.OwnedBy and make it an owner of the app.",
    portalLink: 'Open Certificates & secrets in the Azure portal',
    reconnectHeading: 'Mailboxes to reconnect',
    reconnectIntro:
      'Access to these mailboxes was revoked or has expired: until they are reconnected, ActNow cannot send mail from them.',
    reconnectLink: 'Reconnect',
    errorCode: (code) => `error code \`${code}\``,
    fix: (code) => rotationErrorFix(code, 'en'),
    missingPermission: (permission) =>
      `keyrelay could not read the app's credentials from Microsoft Graph (permission ${permission} is missing): the dates below come from Key Vault. Grant it so keyrelay sees every secret and certificate.`,
    historyHeading: 'Automatic renewals',
    history: (entry) => {
      const old = entry.oldRemovedAt
        ? `old secret removed on ${date(entry.oldRemovedAt)}`
        : entry.oldRemovalAfter
          ? `old secret to be removed on or after ${date(entry.oldRemovalAfter)}`
          : 'old secret left until it expires';
      return `Secret renewed on ${date(entry.renewedAt)}, ${old}.`;
    },
    footer: 'Automatic message from keyrelay. It contains no secrets.',
  };
  return messages;
}

export function digestMessages(zone: DisplayZone): Messages {
  return zone.locale === 'it' ? italian(zone) : english(zone);
}

/** `[keyrelay] ActNow:`; an app that is itself named keyrelay is not named twice. */
function subjectTag(app: string): string {
  return app.trim().toLowerCase() === 'keyrelay' ? '[keyrelay]' : `[keyrelay] ${app}:`;
}

/** What keyrelay does with a client secret it no longer authenticates with. */
export type SupersededFate = { kind: 'removal'; on: Date } | { kind: 'kept' } | { kind: 'not-keyrelay' };

/**
 * A client secret keyrelay does not use, in `secret` mode: nothing for the admin to do (keyrelay removes
 * the one a renewal replaced, and never touches the others), so it goes to the quiet part of the digest.
 * In `federated` mode every leftover is an action: the admin removes it.
 */
export function isQuietItem(item: DigestItem, input: Pick<DigestInput, 'clientCredential'>): boolean {
  return item.action.kind === 'not-in-use' && input.clientCredential !== 'federated';
}

/** The renewal that replaced this password, from the history the digest carries. */
export function supersededFate(
  item: DigestItem,
  input: Pick<DigestInput, 'renewal' | 'rotationHistory'>,
): SupersededFate {
  const keyId = item.credential.keyId;
  const entries = [...(input.renewal ? [input.renewal] : []), ...input.rotationHistory];
  const entry = keyId === undefined ? undefined : entries.find((candidate) => candidate.oldKeyId === keyId);
  if (!entry) return { kind: 'not-keyrelay' };
  if (entry.oldRemovalAfter) return { kind: 'removal', on: entry.oldRemovalAfter };
  return { kind: 'kept' };
}

/** What the row says keyrelay does: a federated leftover is no longer needed, a quiet secret says its fate. */
export function itemActionText(item: DigestItem, input: DigestInput, messages: Messages): string {
  if (isQuietItem(item, input)) return messages.superseded(item, supersededFate(item, input));
  if (item.action.kind === 'not-in-use' && input.clientCredential === 'federated') return messages.notNeeded;
  return messages.action(item.action, item.credential.kind);
}

/** The admin has something to do about it (keyrelay renewing it, or having renewed it, is not that). */
function needsAction(item: DigestItem): boolean {
  return item.action.kind !== 'rotation-planned' && item.action.kind !== 'rotated' && item.action.kind !== 'not-in-use';
}

/**
 * The credential keyrelay authenticates with first (everything depends on it), then the most urgent:
 * expired before expiring, then fewest days left.
 */
export function sortDigestItems(items: readonly DigestItem[]): DigestItem[] {
  const rank = (item: DigestItem): number =>
    item.credential.kind === 'client-secret' && item.credential.inUse === true ? 0 : 1;
  return [...items].sort(
    (a, b) => rank(a) - rank(b) || (a.state === b.state ? a.daysLeft - b.daysLeft : a.state === 'expired' ? -1 : 1),
  );
}

function quote(label: string, locale: Locale): string {
  return locale === 'it' ? `«${label}»` : `"${label}"`;
}

/** One line per item, e.g. `client secret "ActNow" expires in 30 days`. */
export function describeItem(item: DigestItem, zone: DisplayZone): string {
  const messages = digestMessages(zone);
  return `${messages.kind[item.credential.kind]} ${quote(item.credential.label, zone.locale)} ${messages.remaining(item.daysLeft, item.state)}`;
}

/** The items the digest's table lists (quiet ones apart), in the order the admin should read them. */
export interface DigestParts {
  items: DigestItem[];
  quiet: DigestItem[];
}

export function digestParts(input: DigestInput): DigestParts {
  const sorted = sortDigestItems(input.items);
  // The secret this digest's renewal replaced is already told in the renewal paragraph, with its date.
  const announced = input.renewal?.oldKeyId;
  return {
    items: sorted.filter((item) => !isQuietItem(item, input)),
    quiet: sorted.filter(
      (item) => isQuietItem(item, input) && (announced === undefined || item.credential.keyId !== announced),
    ),
  };
}

function subjectFor(input: DigestInput, parts: DigestParts, messages: Messages, zone: DisplayZone): string {
  // A subject is one line whatever a display name contains.
  return oneLine(subjectText(input, parts, messages, zone));
}

/** The subject names what needs action, most urgent first, or says that nothing does. */
function subjectText(input: DigestInput, { items, quiet }: DigestParts, messages: Messages, zone: DisplayZone): string {
  const app = input.app.displayName;
  const headline = (item: DigestItem) =>
    `${describeItem(item, zone)} (${formatDate(item.expiresAt, zone)})${item.action.kind === 'rotation-failed' ? `: ${messages.renewalFailed}` : ''}`;
  const leftovers =
    items.filter((item) => item.action.kind === 'not-in-use').length + (input.federated?.leftovers.length ?? 0);
  const toDo = items.filter((item) => needsAction(item));
  // Keyrelay unable to authenticate outranks any expiry.
  if (input.federated?.problem) {
    const federated = federatedHeadline(input.federated, zone);
    if (federated !== undefined) return messages.subject(app, federated, toDo.length);
  }
  const [first, ...others] = toDo;
  if (first) return messages.subject(app, headline(first), others.length);
  if (input.reconnects.length > 0) return messages.subjectReconnectOnly(app, input.reconnects.length);
  if (leftovers > 0) return messages.subject(app, messages.notNeededHeadline(leftovers), 0);
  if (input.renewal) return messages.subjectRenewed(app, formatDate(input.renewal.renewedAt, zone));
  const [planned] = items;
  if (planned) return messages.subject(app, `${headline(planned)}, ${messages.nothingToDo}`, 0);
  if (quiet.length > 0) return messages.subjectNothingToDo(app);
  return messages.subjectNothing(app);
}

function titleFor(input: DigestInput, items: readonly DigestItem[], messages: Messages): string {
  if (items.length > 0) return messages.title;
  if (input.reconnects.length > 0) return messages.reconnectHeading;
  return input.renewal ? messages.renewalHeading : messages.titleOther;
}

function needsManualSteps(items: readonly DigestItem[]): boolean {
  return items.some(
    (item) =>
      (item.credential.kind === 'client-secret' || item.credential.kind === 'certificate') &&
      item.action.kind !== 'rotated' &&
      item.action.kind !== 'rotation-planned' &&
      item.action.kind !== 'not-in-use',
  );
}

const STYLE = {
  body: 'font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1b1b1b;line-height:1.5;margin:0;padding:16px;',
  h1: 'font-size:20px;margin:0 0 8px 0;',
  h2: 'font-size:16px;margin:20px 0 8px 0;',
  table: 'border-collapse:collapse;width:100%;',
  th: 'text-align:left;border-bottom:2px solid #8a8886;padding:6px;',
  td: 'border-bottom:1px solid #d2d0ce;padding:6px;vertical-align:top;',
  expired: 'color:#a4262c;font-weight:bold;',
  notice: 'background:#fff4ce;border-left:4px solid #c19c00;padding:8px;margin:12px 0;',
  link: 'color:#0f6cbd;',
  // A portal URL has no spaces: without a break anywhere it runs past a narrow mail pane.
  url: 'word-break:break-all;overflow-wrap:anywhere;',
  footer: 'color:#605e5c;font-size:12px;margin-top:24px;',
  quietHeading: 'font-size:14px;color:#605e5c;margin:20px 0 4px 0;',
  quiet: 'color:#605e5c;font-size:13px;',
};

const CODE_STYLE = 'font-family:Consolas,Menlo,monospace;font-size:13px;background:#f3f2f1;padding:0 3px;';

/** Escaped text for mail HTML, with the messages' `code spans` (commands, error codes) as monospace <code>. */
export function mailHtmlText(text: string): string {
  return escapeHtmlWithCode(text, ` style="${CODE_STYLE}"`);
}

function renderHtml(
  input: DigestInput,
  parts: DigestParts,
  messages: Messages,
  zone: DisplayZone,
  subject: string,
): string {
  const e = mailHtmlText;
  const attribute = escapeHtml;
  const { items, quiet } = parts;
  const portal = portalCredentialsUrl(input.app.appId);
  const title = titleFor(input, items, messages);
  const html: string[] = [
    '<!DOCTYPE html>',
    `<html lang="${zone.locale}"><head><meta charset="utf-8"><title>${attribute(subject)}</title></head>`,
    `<body style="${STYLE.body}">`,
    `<h1 style="${STYLE.h1}">${e(title)}</h1>`,
    `<p>${e(messages.intro(input.app))}</p>`,
  ];
  if (input.missingPermission)
    html.push(`<p style="${STYLE.notice}">${e(messages.missingPermission(input.missingPermission))}</p>`);
  const gaps = describeRunGaps(input.runErrors ?? [], zone.locale);
  if (gaps.length > 0) {
    html.push(
      `<h2 style="${STYLE.h2}">${e(runGapsHeading(zone.locale))}</h2>`,
      `<ul>${gaps.map((gap) => `<li>${e(gap)}</li>`).join('')}</ul>`,
    );
  }
  if (input.federated)
    html.push(
      ...federatedParagraphs(input.federated, zone).map(
        (paragraph) => `<p style="${STYLE.notice}">${e(paragraph)}</p>`,
      ),
    );
  if (input.renewal) {
    if (title !== messages.renewalHeading) html.push(`<h2 style="${STYLE.h2}">${e(messages.renewalHeading)}</h2>`);
    html.push(`<p>${e(messages.renewal(input.renewal))}</p>`);
  }
  if (items.length > 0) {
    html.push(
      `<h2 style="${STYLE.h2}">${e(messages.credentialsHeading)}</h2>`,
      `<table style="${STYLE.table}"><thead><tr>`,
      ...messages.columns.map((column) => `<th style="${STYLE.th}">${e(column)}</th>`),
      '</tr></thead><tbody>',
    );
    for (const item of items) {
      const remainingStyle = item.state === 'expired' ? ` style="${STYLE.expired}"` : '';
      html.push(
        '<tr>',
        `<td style="${STYLE.td}">${e(messages.kind[item.credential.kind])}<br><strong>${e(item.credential.label)}</strong></td>`,
        `<td style="${STYLE.td}">${e(messages.expiresOn(item.expiresAt))}</td>`,
        `<td style="${STYLE.td}"><span${remainingStyle}>${e(String(item.daysLeft))}</span><br>${e(messages.remaining(item.daysLeft, item.state))}</td>`,
        `<td style="${STYLE.td}">${e(messages.impact(item))}</td>`,
        `<td style="${STYLE.td}">${e(itemActionText(item, input, messages))}</td>`,
        '</tr>',
      );
    }
    html.push('</tbody></table>');
  }
  if (needsManualSteps(items)) {
    html.push(`<h2 style="${STYLE.h2}">${e(messages.stepsHeading)}</h2><ol>`);
    html.push(...messages.manualSteps.map((step) => `<li>${e(step)}</li>`), '</ol>');
    html.push(`<p>${e(messages.automaticStep)}</p>`);
  }
  if (items.length > 0)
    html.push(
      `<p><a style="${STYLE.link}" href="${attribute(portal)}">${e(messages.portalLink)}</a><br><span style="${STYLE.url}">${e(portal)}</span></p>`,
    );
  if (input.reconnects.length > 0) {
    // A mail about reconnects alone already carries the heading as its title.
    if (title !== messages.reconnectHeading) html.push(`<h2 style="${STYLE.h2}">${e(messages.reconnectHeading)}</h2>`);
    html.push(`<p>${e(messages.reconnectIntro)}</p><ul>`);
    for (const mailbox of input.reconnects) {
      const href = safeHref(mailbox.reconnectUrl);
      const link = href
        ? ` — <a style="${STYLE.link}" href="${attribute(href)}">${e(messages.reconnectLink)}</a>`
        : ` — ${e(mailbox.reconnectUrl)}`;
      const code = mailbox.errorCode ? ` (${e(messages.errorCode(mailbox.errorCode))})` : '';
      html.push(`<li><strong>${e(mailbox.upn)}</strong>${code}${link}</li>`);
    }
    html.push('</ul>');
  }
  if (quiet.length > 0) {
    html.push(
      `<h2 style="${STYLE.quietHeading}">${e(messages.quietHeading)}</h2>`,
      `<p style="${STYLE.quiet}">${e(messages.quietIntro)}</p><ul style="${STYLE.quiet}">`,
      ...quiet.map((item) => `<li>${e(messages.superseded(item, supersededFate(item, input)))}</li>`),
      '</ul>',
    );
  }
  const history = historyLines(input, messages);
  if (history.length > 0) {
    html.push(`<h2 style="${STYLE.h2}">${e(messages.historyHeading)}</h2><ul>`);
    html.push(...history.map((line) => `<li>${e(line)}</li>`), '</ul>');
  }
  html.push(`<p style="${STYLE.footer}">${e(messages.footer)}</p>`, '</body></html>');
  return html.join('\n');
}

/** Earlier renewals: the one this run announces is not listed twice. */
function historyLines(input: DigestInput, messages: Messages): string[] {
  const announced = input.renewal?.renewedAt.getTime();
  return input.rotationHistory
    .filter((entry) => entry.renewedAt.getTime() !== announced)
    .map((entry) => messages.history(entry));
}

function renderText(input: DigestInput, { items, quiet }: DigestParts, messages: Messages, zone: DisplayZone): string {
  const title = titleFor(input, items, messages);
  const lines: string[] = [title, '', messages.intro(input.app), ''];
  if (input.missingPermission) lines.push(messages.missingPermission(input.missingPermission), '');
  const gaps = describeRunGaps(input.runErrors ?? [], zone.locale);
  if (gaps.length > 0) lines.push(runGapsHeading(zone.locale), ...gaps.map((gap) => `- ${gap}`), '');
  if (input.federated) lines.push(...federatedParagraphs(input.federated, zone), '');
  if (input.renewal) {
    if (title !== messages.renewalHeading) lines.push(messages.renewalHeading);
    lines.push(messages.renewal(input.renewal), '');
  }
  if (items.length > 0) {
    lines.push(messages.credentialsHeading);
    for (const item of items) {
      lines.push(
        `- ${describeItem(item, zone)}`,
        `  ${messages.columns[1]}: ${messages.expiresOn(item.expiresAt)} (${messages.columns[2]}: ${item.daysLeft})`,
        `  ${messages.impact(item)}`,
        `  ${itemActionText(item, input, messages)}`,
      );
    }
    lines.push('');
  }
  if (needsManualSteps(items)) {
    lines.push(
      messages.stepsHeading,
      ...messages.manualSteps.map((step, index) => `${index + 1}. ${step}`),
      messages.automaticStep,
      '',
    );
  }
  if (items.length > 0) lines.push(`${messages.portalLink}: ${portalCredentialsUrl(input.app.appId)}`, '');
  if (input.reconnects.length > 0) {
    if (title !== messages.reconnectHeading) lines.push(messages.reconnectHeading);
    lines.push(messages.reconnectIntro);
    for (const mailbox of input.reconnects) {
      const code = mailbox.errorCode ? ` (${messages.errorCode(mailbox.errorCode)})` : '';
      lines.push(`- ${mailbox.upn}${code}: ${messages.reconnectLink} ${mailbox.reconnectUrl}`);
    }
    lines.push('');
  }
  if (quiet.length > 0) {
    lines.push(
      messages.quietHeading,
      messages.quietIntro,
      ...quiet.map((item) => `- ${messages.superseded(item, supersededFate(item, input))}`),
      '',
    );
  }
  const history = historyLines(input, messages);
  if (history.length > 0) lines.push(messages.historyHeading, ...history.map((line) => `- ${line}`), '');
  lines.push(messages.footer);
  return lines.join('\n');
}

/**
 * One line of plain text: control, format (bidi overrides, zero-width) and line-separator characters
 * become a space. Display names, labels and addresses are not keyrelay's to trust (an app password's
 * display name, a mailbox address) and must not add lines to a mail, a subject or a card.
 */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu, ' ');
}

/** The digest input with every text that came from outside keyrelay reduced to one line. */
export function withOneLineTexts(input: DigestInput): DigestInput {
  return {
    ...input,
    app: { ...input.app, displayName: oneLine(input.app.displayName) },
    items: input.items.map((item) => ({
      ...item,
      credential: { ...item.credential, label: oneLine(item.credential.label) },
    })),
    reconnects: input.reconnects.map((mailbox) => ({ ...mailbox, upn: oneLine(mailbox.upn) })),
  };
}

export function renderDigest(untrusted: DigestInput, locale: Locale): RenderedDigest {
  const input = withOneLineTexts(untrusted);
  const zone: DisplayZone = { locale, timeZone: input.timeZone };
  const messages = digestMessages(zone);
  const parts = digestParts(input);
  const subject = subjectFor(input, parts, messages, zone);
  return {
    subject,
    html: renderHtml(input, parts, messages, zone, subject),
    text: renderText(input, parts, messages, zone),
  };
}
