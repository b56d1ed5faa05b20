// Texts of the connect result pages, Italian (the default: ActNow's admins are Italian) and English.
// Plain text only: the HTML page shell escapes them. Never put upstream text (error_description) here.

import type { Locale } from '#src/shared/presentation/locale.js';

/** Which link a message offers as its main button. */
export type MessageAction = 'adminConsent' | 'retry';

export interface MessageText {
  title: string;
  explanation: string;
  nextSteps: string[];
  action?: MessageAction;
}

type Localized = Record<Locale, MessageText>;

export const ACTION_LABELS: Record<MessageAction, Record<Locale, string>> = {
  adminConsent: { it: 'Apri la pagina di consenso amministratore', en: 'Open the admin consent page' },
  retry: { it: 'Riprova a collegare la casella', en: 'Try connecting the mailbox again' },
};

/** Upstream OAuth `error` values (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6). */
export const ENTRA_ERROR_MESSAGES = {
  access_denied: {
    it: {
      title: 'Accesso negato',
      explanation:
        "L'accesso è stato rifiutato: l'utente ha annullato oppure non ha concesso le autorizzazioni richieste.",
      nextSteps: [
        'Riprova e, quando Microsoft lo chiede, accetta le autorizzazioni.',
        "Se l'organizzazione non permette agli utenti di dare il consenso, chiedi a un amministratore di concederlo per tutti.",
      ],
      action: 'retry',
    },
    en: {
      title: 'Access denied',
      explanation: 'Sign-in was refused: the user cancelled or did not grant the requested permissions.',
      nextSteps: [
        'Try again and accept the permissions when Microsoft asks.',
        'If your organisation does not let users consent, ask an administrator to grant consent for everyone.',
      ],
      action: 'retry',
    },
  },
  consent_required: {
    it: {
      title: 'Serve il consenso',
      explanation: "L'applicazione non ha ancora il consenso per inviare posta a nome di questa casella.",
      nextSteps: [
        'Un amministratore del tenant apre la pagina di consenso e approva le autorizzazioni.',
        'Poi ricollega la casella.',
      ],
      action: 'adminConsent',
    },
    en: {
      title: 'Consent required',
      explanation: 'The application does not yet have consent to send mail on behalf of this mailbox.',
      nextSteps: [
        'A tenant administrator opens the consent page and approves the permissions.',
        'Then connect the mailbox again.',
      ],
      action: 'adminConsent',
    },
  },
  interaction_required: {
    it: {
      title: 'Serve un passaggio in più',
      explanation:
        "Microsoft chiede un'azione all'utente (ad esempio una verifica aggiuntiva) che non si è potuta completare.",
      nextSteps: ['Riprova e completa tutti i passaggi richiesti da Microsoft.'],
      action: 'retry',
    },
    en: {
      title: 'An extra step is needed',
      explanation:
        'Microsoft requires an action from the user (for example an extra verification) that could not be completed.',
      nextSteps: ['Try again and complete every step Microsoft asks for.'],
      action: 'retry',
    },
  },
  login_required: {
    it: {
      title: 'Accesso richiesto',
      explanation: 'Nessun utente ha effettuato l’accesso a Microsoft in questo browser.',
      nextSteps: ['Riprova ed entra con l’account della casella da collegare.'],
      action: 'retry',
    },
    en: {
      title: 'Sign-in required',
      explanation: 'No user is signed in to Microsoft in this browser.',
      nextSteps: ['Try again and sign in with the account of the mailbox to connect.'],
      action: 'retry',
    },
  },
  invalid_request: {
    it: {
      title: 'Richiesta non valida',
      explanation: 'Microsoft ha rifiutato la richiesta di accesso perché incompleta o non valida.',
      nextSteps: [
        'Riprova dal pulsante di ActNow.',
        "Se l'errore si ripete, verifica che l'URI di reindirizzamento registrato nell'app coincida con quello di keyrelay.",
      ],
      action: 'retry',
    },
    en: {
      title: 'Invalid request',
      explanation: 'Microsoft rejected the sign-in request as incomplete or invalid.',
      nextSteps: [
        'Try again from the ActNow button.',
        "If it happens again, check that the app registration's redirect URI matches keyrelay's.",
      ],
      action: 'retry',
    },
  },
  unauthorized_client: {
    it: {
      title: 'Applicazione non autorizzata',
      explanation: "L'applicazione non è autorizzata a usare questo tipo di accesso in questo tenant.",
      nextSteps: [
        "Verifica nel portale Azure che l'app sia multi-tenant e che abbia un URI di reindirizzamento di tipo Web.",
        "Chiedi a un amministratore di concedere il consenso all'applicazione.",
      ],
      action: 'adminConsent',
    },
    en: {
      title: 'Application not authorised',
      explanation: 'The application is not allowed to use this kind of sign-in in this tenant.',
      nextSteps: [
        'Check in the Azure portal that the app is multi-tenant and has a redirect URI of type Web.',
        'Ask an administrator to grant consent to the application.',
      ],
      action: 'adminConsent',
    },
  },
  server_error: {
    it: {
      title: 'Errore del servizio Microsoft',
      explanation: 'Il servizio di accesso Microsoft ha avuto un errore interno.',
      nextSteps: ['Riprova tra qualche minuto.'],
      action: 'retry',
    },
    en: {
      title: 'Microsoft service error',
      explanation: 'The Microsoft sign-in service had an internal error.',
      nextSteps: ['Try again in a few minutes.'],
      action: 'retry',
    },
  },
  temporarily_unavailable: {
    it: {
      title: 'Servizio temporaneamente non disponibile',
      explanation: 'Il servizio di accesso Microsoft è sovraccarico o in manutenzione.',
      nextSteps: ['Riprova tra qualche minuto.'],
      action: 'retry',
    },
    en: {
      title: 'Service temporarily unavailable',
      explanation: 'The Microsoft sign-in service is overloaded or under maintenance.',
      nextSteps: ['Try again in a few minutes.'],
      action: 'retry',
    },
  },
  invalid_scope: {
    it: {
      title: 'Autorizzazioni non valide',
      explanation: 'Microsoft non riconosce una delle autorizzazioni richieste (SMTP.Send, Mail.Send, offline_access).',
      nextSteps: ["Verifica che l'app registrata abbia le autorizzazioni delegate richieste.", 'Poi riprova.'],
      action: 'retry',
    },
    en: {
      title: 'Invalid permissions',
      explanation:
        'Microsoft does not recognise one of the requested permissions (SMTP.Send, Mail.Send, offline_access).',
      nextSteps: ['Check that the registered app has the required delegated permissions.', 'Then try again.'],
      action: 'retry',
    },
  },
} satisfies Record<string, Localized>;

export type EntraError = keyof typeof ENTRA_ERROR_MESSAGES;

const ADMIN_CONSENT_STEPS: Record<Locale, string[]> = {
  it: [
    'Un amministratore globale (o amministratore applicazioni) del tenant apre la pagina di consenso.',
    'Accede con il proprio account e approva le autorizzazioni per tutta l’organizzazione.',
    'Poi ricollega la casella.',
  ],
  en: [
    'A global administrator (or application administrator) of the tenant opens the consent page.',
    'They sign in with their own account and approve the permissions for the whole organisation.',
    'Then connect the mailbox again.',
  ],
};

const ADMIN_CONSENT_REQUIRED: Localized = {
  it: {
    title: 'Serve il consenso di un amministratore',
    explanation: "Il tenant richiede che sia un amministratore ad approvare le autorizzazioni dell'applicazione.",
    nextSteps: ADMIN_CONSENT_STEPS.it,
    action: 'adminConsent',
  },
  en: {
    title: 'Administrator consent required',
    explanation: "The tenant requires an administrator to approve the application's permissions.",
    nextSteps: ADMIN_CONSENT_STEPS.en,
    action: 'adminConsent',
  },
};

const MFA_REQUIRED: Localized = {
  it: {
    title: 'Serve la verifica in due passaggi',
    explanation: "L'organizzazione richiede l'autenticazione a più fattori per questo accesso.",
    nextSteps: [
      'Riprova e completa la verifica (app Authenticator, SMS o chiamata).',
      'Se la verifica non è ancora configurata, registrala su https://aka.ms/mfasetup.',
    ],
    action: 'retry',
  },
  en: {
    title: 'Multi-factor authentication required',
    explanation: 'Your organisation requires multi-factor authentication for this sign-in.',
    nextSteps: [
      'Try again and complete the verification (Authenticator app, SMS or call).',
      'If verification is not set up yet, register it at https://aka.ms/mfasetup.',
    ],
    action: 'retry',
  },
};

const CLIENT_SECRET_REJECTED: Localized = {
  it: {
    title: "Il segreto client dell'applicazione non è valido",
    explanation:
      'Microsoft ha rifiutato il segreto client di keyrelay: è scaduto, è stato eliminato o non è quello giusto.',
    nextSteps: [
      'Controlla su /api/status lo stato del segreto client.',
      'Se è scaduto, rinnovalo (keyrelay lo fa da solo in modalità automatica) e poi ricollega la casella.',
    ],
    action: 'retry',
  },
  en: {
    title: "The application's client secret is not valid",
    explanation: "Microsoft rejected keyrelay's client secret: it has expired, was deleted or is not the right one.",
    nextSteps: [
      'Check the client secret on /api/status.',
      'If it has expired, renew it (keyrelay does this itself in automatic mode) and connect the mailbox again.',
    ],
    action: 'retry',
  },
};

/** Well-known AADSTS codes (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). */
export const AADSTS_MESSAGES: Record<number, Localized> = {
  65001: {
    it: {
      title: 'Serve il consenso',
      explanation: "Né l'utente né un amministratore hanno ancora approvato le autorizzazioni dell'applicazione.",
      nextSteps: ADMIN_CONSENT_STEPS.it,
      action: 'adminConsent',
    },
    en: {
      title: 'Consent required',
      explanation: "Neither the user nor an administrator has approved the application's permissions yet.",
      nextSteps: ADMIN_CONSENT_STEPS.en,
      action: 'adminConsent',
    },
  },
  65004: {
    it: {
      title: 'Consenso rifiutato',
      explanation: "L'utente ha rifiutato di concedere le autorizzazioni all'applicazione.",
      nextSteps: [
        'Riprova e, quando Microsoft lo chiede, scegli «Accetta».',
        'In alternativa un amministratore può concedere il consenso per tutti.',
      ],
      action: 'retry',
    },
    en: {
      title: 'Consent declined',
      explanation: 'The user declined to grant the permissions to the application.',
      nextSteps: [
        'Try again and choose "Accept" when Microsoft asks.',
        'Alternatively an administrator can grant consent for everyone.',
      ],
      action: 'retry',
    },
  },
  50076: MFA_REQUIRED,
  50079: {
    it: {
      title: 'Serve registrare la verifica in due passaggi',
      explanation: "L'organizzazione richiede che l'utente registri un metodo di autenticazione a più fattori.",
      nextSteps: ['Registra la verifica su https://aka.ms/mfasetup.', 'Poi riprova.'],
      action: 'retry',
    },
    en: {
      title: 'Multi-factor registration required',
      explanation: 'Your organisation requires the user to register a multi-factor authentication method.',
      nextSteps: ['Register verification at https://aka.ms/mfasetup.', 'Then try again.'],
      action: 'retry',
    },
  },
  53003: {
    it: {
      title: "Bloccato dall'accesso condizionale",
      explanation:
        "Un criterio di accesso condizionale dell'organizzazione ha bloccato l'accesso (ad esempio per posizione, dispositivo o applicazione).",
      nextSteps: [
        "Un amministratore apre Entra ID > Accessi (log di accesso), trova l'accesso bloccato e il criterio che l'ha bloccato.",
        "Esclude l'applicazione ActNow da quel criterio o ne adegua le condizioni, poi ricollega la casella.",
      ],
      action: 'retry',
    },
    en: {
      title: 'Blocked by Conditional Access',
      explanation:
        "One of your organisation's Conditional Access policies blocked the sign-in (for example by location, device or application).",
      nextSteps: [
        'An administrator opens Entra ID > Sign-in logs, finds the blocked sign-in and the policy that blocked it.',
        'They exclude the ActNow application from that policy or adjust its conditions, then connect the mailbox again.',
      ],
      action: 'retry',
    },
  },
  90094: ADMIN_CONSENT_REQUIRED,
  90095: ADMIN_CONSENT_REQUIRED,
  50105: {
    it: {
      title: "Utente non assegnato all'applicazione",
      explanation: "L'applicazione richiede l'assegnazione degli utenti e questo utente non è assegnato.",
      nextSteps: [
        "Un amministratore apre Entra ID > Applicazioni aziendali > ActNow > Utenti e gruppi e assegna l'utente.",
        'Poi ricollega la casella.',
      ],
      action: 'retry',
    },
    en: {
      title: 'User not assigned to the application',
      explanation: 'The application requires user assignment and this user is not assigned.',
      nextSteps: [
        'An administrator opens Entra ID > Enterprise applications > ActNow > Users and groups and assigns the user.',
        'Then connect the mailbox again.',
      ],
      action: 'retry',
    },
  },
  700016: {
    it: {
      title: 'Applicazione non trovata nel tenant',
      explanation:
        "Il tenant non conosce l'applicazione: l'ID client è errato oppure l'app non è multi-tenant o non è ancora stata approvata qui.",
      nextSteps: [
        "Verifica l'ID applicazione (client) configurato in keyrelay.",
        "Verifica che l'app sia registrata come multi-tenant.",
        'Un amministratore del tenant concede il consenso amministratore.',
      ],
      action: 'adminConsent',
    },
    en: {
      title: 'Application not found in the tenant',
      explanation:
        'The tenant does not know the application: the client ID is wrong, or the app is not multi-tenant or not yet approved here.',
      nextSteps: [
        'Check the application (client) ID configured in keyrelay.',
        'Check that the app is registered as multi-tenant.',
        'A tenant administrator grants admin consent.',
      ],
      action: 'adminConsent',
    },
  },
  50020: {
    it: {
      title: 'Account non appartenente al tenant',
      explanation:
        "L'account usato non appartiene al tenant configurato (ad esempio un account personale Microsoft o di un'altra organizzazione).",
      nextSteps: ["Riprova ed entra con l'account Microsoft 365 aziendale della casella da collegare."],
      action: 'retry',
    },
    en: {
      title: 'Account not in the tenant',
      explanation:
        'The account used does not belong to the configured tenant (for example a personal Microsoft account or one from another organisation).',
      nextSteps: ['Try again and sign in with the work Microsoft 365 account of the mailbox to connect.'],
      action: 'retry',
    },
  },
  7000215: CLIENT_SECRET_REJECTED,
  7000222: CLIENT_SECRET_REJECTED,
};

export const USER_CANCELLED: Localized = {
  it: {
    title: 'Accesso annullato',
    explanation: "L'accesso a Microsoft è stato annullato prima di concludersi.",
    nextSteps: ['Riprova quando vuoi collegare la casella.'],
    action: 'retry',
  },
  en: {
    title: 'Sign-in cancelled',
    explanation: 'The Microsoft sign-in was cancelled before it finished.',
    nextSteps: ['Try again whenever you want to connect the mailbox.'],
    action: 'retry',
  },
};

export const UNKNOWN_SIGN_IN_ERROR: Localized = {
  it: {
    title: 'Accesso non riuscito',
    explanation: 'Microsoft ha interrotto l’accesso con un errore non previsto.',
    nextSteps: [
      'Riprova.',
      "Se l'errore si ripete, un amministratore può cercare l'accesso in Entra ID > Accessi (log di accesso).",
    ],
    action: 'retry',
  },
  en: {
    title: 'Sign-in failed',
    explanation: 'Microsoft stopped the sign-in with an unexpected error.',
    nextSteps: [
      'Try again.',
      'If it happens again, an administrator can look up the sign-in in Entra ID > Sign-in logs.',
    ],
    action: 'retry',
  },
};

/** keyrelay's own reasons to refuse a callback, grouped by what the admin can do about them. */
export const CONNECT_FAILURE_MESSAGES = {
  session_expired: {
    it: {
      title: 'Sessione di accesso scaduta',
      explanation:
        'Sono passati più di 10 minuti dall’avvio del collegamento, oppure è stato avviato in un altro browser.',
      nextSteps: ['Riavvia il collegamento dallo stesso browser e concludilo entro 10 minuti.'],
      action: 'retry',
    },
    en: {
      title: 'Sign-in session expired',
      explanation: 'More than 10 minutes passed since the connection started, or it was started in another browser.',
      nextSteps: ['Start the connection again from the same browser and finish it within 10 minutes.'],
      action: 'retry',
    },
  },
  invalid_callback: {
    it: {
      title: 'Risposta di accesso non valida',
      explanation:
        'La risposta ricevuta da Microsoft non è valida o non appartiene a questo collegamento, quindi è stata scartata per sicurezza.',
      nextSteps: ['Riavvia il collegamento dal pulsante di ActNow.'],
      action: 'retry',
    },
    en: {
      title: 'Invalid sign-in response',
      explanation:
        'The response received from Microsoft is invalid or does not belong to this connection, so it was discarded for safety.',
      nextSteps: ['Start the connection again from the ActNow button.'],
      action: 'retry',
    },
  },
  tenant_not_allowed: {
    it: {
      title: 'Organizzazione non ammessa',
      explanation:
        "L'account appartiene a un'organizzazione (tenant) diversa da quella configurata in keyrelay, oppure è un account personale Microsoft.",
      nextSteps: ["Riprova con un account Microsoft 365 dell'organizzazione configurata."],
      action: 'retry',
    },
    en: {
      title: 'Organisation not allowed',
      explanation:
        'The account belongs to an organisation (tenant) other than the one configured in keyrelay, or is a personal Microsoft account.',
      nextSteps: ['Try again with a Microsoft 365 account of the configured organisation.'],
      action: 'retry',
    },
  },
  mailbox_taken: {
    it: {
      title: 'Indirizzo già collegato da un altro account',
      explanation:
        "Questo indirizzo di posta è già collegato a keyrelay da un altro account Microsoft 365 (un'altra organizzazione o un utente diverso). Per sicurezza non è stato sostituito.",
      nextSteps: [
        'Se il collegamento esistente non serve più, un amministratore di ActNow deve prima scollegare la casella.',
        "Poi ricollega la casella con l'account che la possiede.",
      ],
    },
    en: {
      title: 'Address already connected by another account',
      explanation:
        'This mail address is already connected to keyrelay by another Microsoft 365 account (another organisation or a different user). For safety it was not replaced.',
      nextSteps: [
        'If the existing connection is no longer needed, an ActNow administrator must disconnect the mailbox first.',
        'Then connect the mailbox again with the account that owns it.',
      ],
    },
  },
  account_mismatch: {
    it: {
      title: 'Account diverso da quello atteso',
      explanation:
        "L'account con cui hai effettuato l'accesso non è quello della casella da collegare. Non è stato salvato nulla.",
      nextSteps: ["Riprova e accedi con l'account della casella indicata da ActNow."],
      action: 'retry',
    },
    en: {
      title: 'Not the expected account',
      explanation: 'The account you signed in with is not the one of the mailbox to connect. Nothing was stored.',
      nextSteps: ['Try again and sign in with the account of the mailbox ActNow named.'],
      action: 'retry',
    },
  },
  flow_already_used: {
    it: {
      title: 'Collegamento già concluso',
      explanation: 'Questa risposta di accesso è già stata usata. Per sicurezza ogni accesso vale una sola volta.',
      nextSteps: ['Se la casella non risulta collegata, riavvia il collegamento dal pulsante di ActNow.'],
      action: 'retry',
    },
    en: {
      title: 'Connection already completed',
      explanation: 'This sign-in response has already been used. For safety each sign-in counts once.',
      nextSteps: ['If the mailbox does not show as connected, start the connection again from the ActNow button.'],
      action: 'retry',
    },
  },
  tenant_mailbox_limit: {
    it: {
      title: 'Limite di caselle raggiunto',
      explanation:
        'La tua organizzazione ha già collegato il numero massimo di caselle ammesso da keyrelay. Non è stato salvato nulla.',
      nextSteps: [
        "Scollega da ActNow le caselle che non servono più, oppure chiedi all'amministratore di keyrelay di alzare il limite.",
      ],
    },
    en: {
      title: 'Mailbox limit reached',
      explanation: 'Your organisation has already connected as many mailboxes as keyrelay allows. Nothing was stored.',
      nextSteps: [
        'Disconnect mailboxes that are no longer needed in ActNow, or ask the keyrelay administrator to raise the limit.',
      ],
    },
  },
} satisfies Record<string, Localized>;

export type ConnectFailure = keyof typeof CONNECT_FAILURE_MESSAGES;

export interface ResultText {
  title: string;
  explanation: string;
}

export function connectedText(locale: Locale, mailbox: string): ResultText {
  return locale === 'it'
    ? {
        title: 'Casella collegata',
        explanation: `La casella ${mailbox} è collegata: ActNow ora può inviare posta con OAuth2, senza password.`,
      }
    : {
        title: 'Mailbox connected',
        explanation: `The mailbox ${mailbox} is connected: ActNow can now send mail with OAuth2, without a password.`,
      };
}

export function adminConsentText(locale: Locale, granted: boolean): ResultText {
  if (granted) {
    return locale === 'it'
      ? {
          title: 'Consenso amministratore concesso',
          explanation: 'Le autorizzazioni sono approvate per tutta l’organizzazione. Ora collega la casella.',
        }
      : {
          title: 'Administrator consent granted',
          explanation: 'The permissions are approved for the whole organisation. Now connect the mailbox.',
        };
  }
  return locale === 'it'
    ? {
        title: 'Consenso amministratore non concesso',
        explanation: 'Le autorizzazioni non sono state approvate. Riprova con un account di amministratore.',
      }
    : {
        title: 'Administrator consent not granted',
        explanation: 'The permissions were not approved. Try again with an administrator account.',
      };
}

/** The admin-consent endpoint answered without a refusal; unauthenticated, so it proves nothing. */
export function adminConsentAnsweredText(locale: Locale): ResultText {
  return locale === 'it'
    ? {
        title: 'Risposta dalla pagina di consenso',
        explanation:
          'Microsoft ha chiuso la pagina di consenso amministratore. Collega ora la casella: se il consenso manca ancora, la pagina di accesso lo dirà.',
      }
    : {
        title: 'Answer from the consent page',
        explanation:
          'Microsoft closed the administrator consent page. Now connect the mailbox: if consent is still missing, the sign-in will say so.',
      };
}
