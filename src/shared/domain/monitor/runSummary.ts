// A monitor run's report and a rotation's step in words (issue 18): the status page and the simulator
// say "1 alert sent, nothing else expiring", never "alertsDue: 0 … alertsSent: 1". Counters a reader
// cannot act on (ledger rows, digests) stay in the JSON report.
import type { Locale } from '#src/shared/presentation/locale.js';
import type { RotationStep } from './rotationPlan.js';

type Count = (count: number) => string;

interface RunWords {
  checked: (credentials: string, mailboxes: string) => string;
  credentials: Count;
  mailboxes: Count;
  alertsSent: Count;
  nothingExpiring: string;
  nothingElseExpiring: string;
  expiring: Count;
  reconnect: Count;
  rotationAdvanced: Count;
  rotationElsewhere: string;
  alertsReleased: Count;
  digestElsewhere: string;
  keptAlive: Count;
  keepAliveFailed: Count;
  keepAliveCarriedOver: Count;
  registryRebuilt: Count;
  alarmSent: Count;
  alarmUndelivered: string;
  nothingRecorded: string;
  steps: Record<RotationStep, string>;
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

export const RUN_WORDS: Readonly<Record<Locale, RunWords>> = {
  it: {
    checked: (credentials, mailboxes) => `controllati ${credentials} e ${mailboxes}`,
    credentials: (n) => plural(n, 'credenziale', 'credenziali'),
    mailboxes: (n) => plural(n, 'casella', 'caselle'),
    alertsSent: (n) => plural(n, 'avviso inviato', 'avvisi inviati'),
    nothingExpiring: 'niente in scadenza',
    nothingElseExpiring: "nient'altro in scadenza",
    expiring: (n) => `${plural(n, 'credenziale', 'credenziali')} in scadenza`,
    reconnect: (n) => `${plural(n, 'casella', 'caselle')} da ricollegare`,
    rotationAdvanced: (n) => `rinnovo del segreto client avanzato di ${plural(n, 'passo', 'passi')}`,
    rotationElsewhere: "rinnovo del segreto client in corso su un'altra istanza",
    alertsReleased: (n) => `${plural(n, 'avviso non inviato', 'avvisi non inviati')}: riprova alla prossima esecuzione`,
    digestElsewhere: "avvisi lasciati a un'altra esecuzione in corso",
    keptAlive: (n) => `${plural(n, 'casella inattiva tenuta', 'caselle inattive tenute')} in vita`,
    keepAliveFailed: (n) => `${plural(n, 'rinnovo di accesso non riuscito', 'rinnovi di accesso non riusciti')}`,
    keepAliveCarriedOver: (n) =>
      `${plural(n, 'rinnovo di accesso rimandato', 'rinnovi di accesso rimandati')} alla prossima esecuzione`,
    registryRebuilt: (n) => `${plural(n, 'casella ripristinata', 'caselle ripristinate')} nel registro`,
    alarmSent: (n) => `allarme inviato tramite ${plural(n, 'canale', 'canali')}`,
    alarmUndelivered: 'allarme non recapitato: nessun canale ha risposto',
    nothingRecorded: 'Nessun conteggio registrato',
    steps: {
      planned: 'pianificato',
      added: 'nuovo segreto creato',
      stored: 'salvato in Key Vault',
      verified: 'verificato',
      switched: 'nuovo segreto in uso',
      old_removed: 'vecchio segreto rimosso',
      rolled_back: 'annullato',
      failed: 'non riuscito',
    },
  },
  en: {
    checked: (credentials, mailboxes) => `checked ${credentials} and ${mailboxes}`,
    credentials: (n) => plural(n, 'credential', 'credentials'),
    mailboxes: (n) => plural(n, 'mailbox', 'mailboxes'),
    alertsSent: (n) => plural(n, 'alert sent', 'alerts sent'),
    nothingExpiring: 'nothing expiring',
    nothingElseExpiring: 'nothing else expiring',
    expiring: (n) => `${plural(n, 'credential', 'credentials')} expiring`,
    reconnect: (n) => `${plural(n, 'mailbox', 'mailboxes')} to reconnect`,
    rotationAdvanced: (n) => `client secret renewal advanced by ${plural(n, 'step', 'steps')}`,
    rotationElsewhere: 'client secret renewal under way on another instance',
    alertsReleased: (n) => `${plural(n, 'alert', 'alerts')} not sent: retried on the next run`,
    digestElsewhere: 'alerts left to another run under way',
    keptAlive: (n) => `${plural(n, 'idle mailbox', 'idle mailboxes')} kept alive`,
    keepAliveFailed: (n) => `${plural(n, 'mailbox refresh', 'mailbox refreshes')} failed`,
    keepAliveCarriedOver: (n) => `${plural(n, 'mailbox refresh', 'mailbox refreshes')} left for the next run`,
    registryRebuilt: (n) => `${plural(n, 'mailbox', 'mailboxes')} restored to the registry`,
    alarmSent: (n) => `alarm sent through ${plural(n, 'channel', 'channels')}`,
    alarmUndelivered: 'alarm not delivered: no channel answered',
    nothingRecorded: 'No counts recorded',
    steps: {
      planned: 'planned',
      added: 'new secret created',
      stored: 'stored in Key Vault',
      verified: 'verified',
      switched: 'new secret in use',
      old_removed: 'old secret removed',
      rolled_back: 'rolled back',
      failed: 'failed',
    },
  },
};

/**
 * A run report's counters (src/shared/services/monitor/monitorService.ts) as one sentence: what was
 * checked, what was sent, what still expires or needs the admin. Unknown counters are left out.
 */
export function describeRun(counts: Readonly<Record<string, number>>, locale: Locale): string {
  const w = RUN_WORDS[locale];
  const count = (name: string): number => counts[name] ?? 0;
  const parts: string[] = [];
  if (counts.credentials !== undefined || counts.mailboxes !== undefined) {
    parts.push(w.checked(w.credentials(count('credentials')), w.mailboxes(count('mailboxes'))));
  }
  const sent = count('alertsSent');
  if (sent > 0) parts.push(w.alertsSent(sent));
  if (count('alertsReleased') > 0) parts.push(w.alertsReleased(count('alertsReleased')));
  if (count('digestSkippedConcurrentRun') > 0) parts.push(w.digestElsewhere);
  const due = count('alertsDue');
  const reconnect = count('reconnectRequired');
  if (due > 0) parts.push(w.expiring(due));
  if (reconnect > 0) parts.push(w.reconnect(reconnect));
  if (due === 0 && reconnect === 0 && counts.alertsDue !== undefined)
    parts.push(sent > 0 ? w.nothingElseExpiring : w.nothingExpiring);
  if (count('rotationSteps') > 0) parts.push(w.rotationAdvanced(count('rotationSteps')));
  if (count('rotationByAnotherInstance') > 0) parts.push(w.rotationElsewhere);
  if (count('keepAlives') > 0) parts.push(w.keptAlive(count('keepAlives')));
  if (count('keepAliveFailed') > 0) parts.push(w.keepAliveFailed(count('keepAliveFailed')));
  if (count('keepAliveCarriedOver') > 0) parts.push(w.keepAliveCarriedOver(count('keepAliveCarriedOver')));
  if (count('registryRebuilt') > 0) parts.push(w.registryRebuilt(count('registryRebuilt')));
  // A credential alarm's report (src/shared/services/token/credentialAlarm.ts).
  if (count('credentialAlarms') > 0) {
    const channels = count('credentialAlarmChannels');
    parts.push(channels > 0 ? w.alarmSent(channels) : w.alarmUndelivered);
  }
  if (parts.length === 0) return w.nothingRecorded;
  const sentence = parts.join(', ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** A rotation step (DESIGN §6) in words; a step this version does not know is shown as it is stored. */
export function describeRotationStep(step: string, locale: Locale): string {
  const steps: Readonly<Record<string, string>> = RUN_WORDS[locale].steps;
  return steps[step] ?? step;
}
