// What a monitor run could not check (DESIGN §6: a partial failure is kept and reported, never silent):
// the run report's error codes that mean "part of the picture is missing", in words for the digest's
// short "what keyrelay could not check this time" section and the status page. Other codes (a failed
// mail, a rotation step) are reported where they belong.
import type { Locale } from '#src/shared/presentation/locale.js';

type Gap =
  | 'listing_incomplete'
  | 'vault'
  | 'registry'
  | 'mailbox_rows'
  | 'graph'
  | 'ledger_row'
  | 'keep_alive'
  | 'rotation_deferred'
  | 'secret_unreadable'
  | 'mailbox_caches';

export const RUN_GAPS_TEXT: Record<Locale, { heading: string } & Record<Gap, (detail: string) => string>> = {
  it: {
    heading: 'Cosa keyrelay non ha potuto controllare questa volta',
    listing_incomplete: () =>
      "l'elenco dei segreti di Key Vault si è interrotto (limitazione o guasto): i segreti letti fin lì sono stati controllati, gli altri alla prossima esecuzione.",
    vault: () => 'Key Vault non ha risposto: nessun segreto di Key Vault è stato controllato.',
    registry: () =>
      'il registro delle caselle (Table storage) non era leggibile: nessuna casella è stata controllata né tenuta attiva.',
    mailbox_rows: (detail) =>
      `${detail} record del registro delle caselle non erano leggibili (scritti da una versione precedente o a mano): quelle caselle non sono state controllate.`,
    graph: () => "Microsoft Graph non ha risposto: le date dei segreti dell'app vengono da Key Vault.",
    ledger_row: (detail) => `un record degli avvisi non era leggibile (${detail}): quell'avviso è stato saltato.`,
    keep_alive: (detail) =>
      `alcuni rinnovi di accesso delle caselle non sono riusciti (${detail}): riprovati alla prossima esecuzione.`,
    rotation_deferred: () => "non c'era abbastanza tempo per il rinnovo del segreto: riprova alla prossima esecuzione.",
    secret_unreadable: () =>
      "il segreto client in Key Vault non era leggibile: non si sa quale password dell'app sia in uso.",
    mailbox_caches: (detail) =>
      `${detail} cache di token delle caselle in Key Vault non nominano un account: le relative caselle non sono state ricostruite nel registro.`,
  },
  en: {
    heading: 'What keyrelay could not check this time',
    listing_incomplete: () =>
      'the Key Vault secret listing broke off (throttling or an outage): the secrets read until then were checked, the rest will be on the next run.',
    vault: () => 'Key Vault did not answer: no Key Vault secret was checked.',
    registry: () => 'the mailbox registry (Table storage) could not be read: no mailbox was checked or kept alive.',
    mailbox_rows: (detail) =>
      `${detail} mailbox registry rows could not be read (written by an older version or by hand): those mailboxes were not checked.`,
    graph: () => "Microsoft Graph did not answer: the app's secret dates come from Key Vault.",
    ledger_row: (detail) => `an alert record could not be read (${detail}): that alert was skipped.`,
    keep_alive: (detail) => `some mailbox keep-alive refreshes failed (${detail}): retried on the next run.`,
    rotation_deferred: () => 'there was not enough time left to renew the secret: it is retried on the next run.',
    secret_unreadable: () =>
      'the client secret in Key Vault could not be read: which app password is in use is unknown.',
    mailbox_caches: (detail) =>
      `${detail} mailbox token caches in Key Vault name no account: their mailboxes could not be rebuilt into the registry.`,
  },
};

const GAP_OF_CODE: Readonly<Record<string, Gap>> = {
  key_vault_listing_incomplete: 'listing_incomplete',
  key_vault_unavailable: 'vault',
  mailbox_registry_unavailable: 'registry',
  mailbox_rows_unreadable: 'mailbox_rows',
  graph_unavailable: 'graph',
  ledger_row_skipped: 'ledger_row',
  keep_alive_failed: 'keep_alive',
  rotation_deferred: 'rotation_deferred',
  client_secret_unreadable: 'secret_unreadable',
  mailbox_caches_unparsable: 'mailbox_caches',
  registry_rebuild_failed: 'registry',
};

function gapOf(code: string): { gap: Gap; detail: string } | undefined {
  const [name = '', ...rest] = code.split(':');
  const gap = GAP_OF_CODE[name];
  return gap === undefined ? undefined : { gap, detail: rest.join(':') };
}

export function runGapsHeading(locale: Locale): string {
  return RUN_GAPS_TEXT[locale].heading;
}

/** One sentence per kind of gap among `codes` (repeats of a kind are merged). */
export function describeRunGaps(codes: readonly string[], locale: Locale): string[] {
  const byGap = new Map<Gap, string[]>();
  for (const code of codes) {
    const found = gapOf(code);
    if (!found) continue;
    byGap.set(found.gap, [...(byGap.get(found.gap) ?? []), ...(found.detail ? [found.detail] : [])]);
  }
  return [...byGap].map(([gap, details]) => RUN_GAPS_TEXT[locale][gap](details.join(', ')));
}
