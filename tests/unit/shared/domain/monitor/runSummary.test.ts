import { describe, expect, it } from 'vitest';
import { describeRotationStep, describeRun, RUN_WORDS } from '#src/shared/domain/monitor/runSummary.js';
import { englishWordsIn, missingKeys } from '../../../../support/catalogues.js';

const RENEWAL_RUN = {
  credentials: 3,
  mailboxes: 1,
  alertsDue: 0,
  reconnectRequired: 0,
  rotationSteps: 5,
  alertsSent: 1,
  digestsSent: 1,
  keepAlives: 0,
};

describe('describeRun', () => {
  it('says what a run checked and sent in Italian, with nothing else expiring after the renewal notice', () => {
    expect(describeRun(RENEWAL_RUN, 'it')).toBe(
      "Controllati 3 credenziali e 1 casella, 1 avviso inviato, nient'altro in scadenza, rinnovo del segreto client avanzato di 5 passi",
    );
  });

  it('says the same in English', () => {
    expect(describeRun(RENEWAL_RUN, 'en')).toBe(
      'Checked 3 credentials and 1 mailbox, 1 alert sent, nothing else expiring, client secret renewal advanced by 5 steps',
    );
  });

  it('names what is still expiring and which mailboxes need a reconnect, with plurals in both languages', () => {
    const counts = { credentials: 2, mailboxes: 2, alertsDue: 2, reconnectRequired: 1, alertsSent: 3 };
    expect(describeRun(counts, 'it')).toBe(
      'Controllati 2 credenziali e 2 caselle, 3 avvisi inviati, 2 credenziali in scadenza, 1 casella da ricollegare',
    );
    expect(describeRun(counts, 'en')).toBe(
      'Checked 2 credentials and 2 mailboxes, 3 alerts sent, 2 credentials expiring, 1 mailbox to reconnect',
    );
  });

  it('says nothing is expiring on a quiet run, and reports keep-alives and alerts left for the next run', () => {
    expect(describeRun({ credentials: 1, mailboxes: 0, alertsDue: 0, reconnectRequired: 0, keepAlives: 0 }, 'en')).toBe(
      'Checked 1 credential and 0 mailboxes, nothing expiring',
    );
    expect(describeRun({ alertsReleased: 2, keepAlives: 1, keepAliveFailed: 1, keepAliveCarriedOver: 4 }, 'en')).toBe(
      '2 alerts not sent: retried on the next run, 1 idle mailbox kept alive, 1 mailbox refresh failed, 4 mailbox refreshes left for the next run',
    );
    expect(describeRun({ alertsReleased: 2, keepAlives: 1, keepAliveFailed: 1, keepAliveCarriedOver: 4 }, 'it')).toBe(
      '2 avvisi non inviati: riprova alla prossima esecuzione, 1 casella inattiva tenuta in vita, 1 rinnovo di accesso non riuscito, 4 rinnovi di accesso rimandati alla prossima esecuzione',
    );
  });

  it('says so when a run recorded no counts (a duplicate or one still running), and ignores counters it does not know', () => {
    expect(describeRun({}, 'it')).toBe('Nessun conteggio registrato');
    expect(describeRun({ somethingNew: 4 }, 'en')).toBe('No counts recorded');
  });

  it("describes a credential alarm's report by the channels that carried it", () => {
    expect(describeRun({ credentialAlarms: 1, credentialAlarmChannels: 2 }, 'it')).toBe(
      'Allarme inviato tramite 2 canali',
    );
    expect(describeRun({ credentialAlarms: 1, credentialAlarmChannels: 0 }, 'en')).toBe(
      'Alarm not delivered: no channel answered',
    );
  });
});

describe('describeRotationStep', () => {
  it('translates every step, "switched" included, and shows an unknown step as stored', () => {
    expect(describeRotationStep('switched', 'it')).toBe('nuovo segreto in uso');
    expect(describeRotationStep('switched', 'en')).toBe('new secret in use');
    expect(describeRotationStep('future_step', 'it')).toBe('future_step');
  });
});

describe('RUN_WORDS', () => {
  it('has every key in both languages and no English word in the Italian sentences', () => {
    expect(missingKeys(RUN_WORDS)).toEqual({ it: [], en: [] });
    const allCounters = {
      credentials: 2,
      mailboxes: 2,
      alertsDue: 1,
      reconnectRequired: 1,
      alertsSent: 2,
      alertsReleased: 1,
      digestSkippedConcurrentRun: 1,
      rotationSteps: 2,
      rotationByAnotherInstance: 1,
      keepAlives: 2,
      keepAliveFailed: 2,
      keepAliveCarriedOver: 2,
      registryRebuilt: 2,
    };
    const alarms = [
      describeRun({ credentialAlarms: 1, credentialAlarmChannels: 1 }, 'it'),
      describeRun({ credentialAlarms: 1, credentialAlarmChannels: 0 }, 'it'),
    ];
    const italian = [
      describeRun(allCounters, 'it'),
      describeRun({ alertsDue: 0, alertsSent: 1 }, 'it'),
      ...alarms,
      ...Object.values(RUN_WORDS.it.steps),
    ].join('\n');
    expect(englishWordsIn(italian)).toEqual([]);
  });
});
