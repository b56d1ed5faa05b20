// The options of `npm run setup` and `npm run doctor`, declared once: the parser accepts exactly these
// and `--help` lists exactly these, one line each, in the run's language.
import type { OptionTable } from './arguments.js';

const LOCALE_OPTION = {
  kind: 'string',
  value: 'it|en',
  describe: {
    it: 'lingua di questa esecuzione (predefinita: ALERT_LOCALE, altrimenti it)',
    en: 'language of this run (default: ALERT_LOCALE, else it)',
  },
} as const;

const HELP_OPTION = { kind: 'boolean', describe: { it: 'mostra questo aiuto', en: 'show this help' } } as const;

export const SETUP_USAGES = {
  it: [
    'npm run setup -- [--dry-run] [opzioni]',
    'npm run setup -- --federated [--remove-secret] [--dry-run] [opzioni]',
  ],
  en: [
    'npm run setup -- [--dry-run] [options]',
    'npm run setup -- --federated [--remove-secret] [--dry-run] [options]',
  ],
} as const;

export const SETUP_OPTIONS = {
  'dry-run': {
    kind: 'boolean',
    describe: { it: 'dice cosa farebbe, senza cambiare nulla', en: 'says what it would do, changes nothing' },
  },
  locale: LOCALE_OPTION,
  'app-name': {
    kind: 'string',
    value: '<nome>',
    describe: {
      it: 'nome della registrazione app da trovare o creare (predefinito: keyrelay)',
      en: 'display name of the app registration to find or create (default: keyrelay)',
    },
  },
  'identity-client-id': {
    kind: 'string',
    value: '<guid>',
    describe: {
      it: "client id dell'identità gestita di keyrelay, da rendere proprietaria (predefinito: AZURE_MANAGED_IDENTITY_CLIENT_ID)",
      en: "client id of keyrelay's managed identity, made an owner of the app (default: AZURE_MANAGED_IDENTITY_CLIENT_ID)",
    },
  },
  'identity-object-id': {
    kind: 'string',
    value: '<guid>',
    describe: {
      it: "object id dell'identità gestita di keyrelay (predefinito: AZURE_MANAGED_IDENTITY_PRINCIPAL_ID)",
      en: "object (principal) id of keyrelay's managed identity (default: AZURE_MANAGED_IDENTITY_PRINCIPAL_ID)",
    },
  },
  'secret-months': {
    kind: 'string',
    value: '<1-24>',
    describe: {
      it: 'durata in mesi di un nuovo segreto client (predefinita: 24)',
      en: 'lifetime in months of a new client secret (default: 24)',
    },
  },
  federated: {
    kind: 'boolean',
    describe: {
      it: "senza segreti: l'identità gestita di keyrelay come credenziale federata dell'app",
      en: "secretless: keyrelay's managed identity as the app's federated credential",
    },
  },
  'remove-secret': {
    kind: 'boolean',
    describe: {
      it: 'con --federated, dopo il passaggio: rimuove il vecchio segreto client',
      en: 'with --federated, after the switch: removes the old client secret',
    },
  },
  help: HELP_OPTION,
} as const satisfies OptionTable;

export const DOCTOR_USAGES = { it: ['npm run doctor -- [opzioni]'], en: ['npm run doctor -- [options]'] } as const;

export const DOCTOR_OPTIONS = { locale: LOCALE_OPTION, help: HELP_OPTION } as const satisfies OptionTable;
