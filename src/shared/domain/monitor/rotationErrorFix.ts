// One line on what to do about a failing rotation step, by its stable code (rotationService's errorCodeOf:
// `graph_403`, `keyvault_429`, `verify_AADSTS7000215`, `remove_refused_in_use`, `stuck_stored`, …), for
// the digest, the status page and the run report's readers. Italian and English.
import type { Locale } from '#src/shared/presentation/locale.js';

type Fix =
  | 'permission'
  | 'vault_permission'
  | 'transient'
  | 'storage'
  | 'verify'
  | 'remove_refused'
  | 'staged_missing'
  | 'stuck'
  | 'unknown';

export const ROTATION_FIXES: Record<Locale, Record<Fix, string>> = {
  it: {
    permission:
      "concedi all'identità di keyrelay Application.ReadWrite.OwnedBy e rendila proprietaria dell'app (`npm run setup` lo fa).",
    vault_permission: "assegna all'identità di keyrelay il ruolo `Key Vault Secrets Officer` sul vault.",
    transient:
      'servizio Microsoft occupato o irraggiungibile: keyrelay riprova alla prossima esecuzione, nulla da fare se passa.',
    storage:
      "Table storage (AzureWebJobsStorage) non scrivibile: controlla l'account di archiviazione e i permessi dell'identità.",
    verify:
      'Entra ID non accetta ancora il nuovo segreto: keyrelay riprova fino alla scadenza, poi lo ritira; il segreto attuale resta in uso.',
    remove_refused:
      'Key Vault nomina di nuovo questa password (ripristinata a mano?): keyrelay non la rimuove; verifica che il segreto in Key Vault sia quello scritto da keyrelay.',
    staged_missing: 'la copia in attesa (<nome>-next) è stata cancellata: keyrelay ritira la password e ricomincia.',
    stuck: 'nessun progresso da un giorno: esegui `npm run doctor` per la causa.',
    unknown: 'esegui `npm run doctor` per la causa.',
  },
  en: {
    permission:
      "grant keyrelay's identity Application.ReadWrite.OwnedBy and make it an owner of the app (`npm run setup` does both).",
    vault_permission: "give keyrelay's identity the `Key Vault Secrets Officer` role on the vault.",
    transient:
      'a Microsoft service was busy or unreachable: keyrelay retries on the next run; nothing to do if it clears.',
    storage:
      "Table storage (AzureWebJobsStorage) could not be written: check the storage account and the identity's access.",
    verify:
      'Entra ID does not accept the new secret yet: keyrelay retries until the deadline, then takes it back; the current secret stays in use.',
    remove_refused:
      'Key Vault names this password again (restored by hand?): keyrelay will not remove it; check that the secret in Key Vault is the one keyrelay wrote.',
    staged_missing: 'the staged copy (<name>-next) was deleted: keyrelay takes the password back and starts again.',
    stuck: 'no progress for a day: run `npm run doctor` for the cause.',
    unknown: 'run `npm run doctor` for the cause.',
  },
};

function fixOf(code: string): Fix {
  if (code === 'remove_refused_in_use') return 'remove_refused';
  if (code === 'staged_secret_missing') return 'staged_missing';
  if (code.startsWith('stuck_')) return 'stuck';
  if (code.startsWith('verify_')) return 'verify';
  if (code.startsWith('table_')) return 'storage';
  if (code === 'graph_403' || code === 'graph_401') return 'permission';
  if (code === 'keyvault_403' || code === 'keyvault_401') return 'vault_permission';
  if (/^(graph|keyvault)_(no_answer|failed|409|429|5\d\d)$/.test(code)) return 'transient';
  return 'unknown';
}

export function rotationErrorFix(code: string, locale: Locale): string {
  return ROTATION_FIXES[locale][fixOf(code)];
}
