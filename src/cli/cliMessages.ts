// What the two admin tools print around the service messages (headings, summaries), in both languages.
import type { Locale } from '../shared/presentation/locale.js';

export const DOCTOR_TEXT = {
  it: {
    healthy: 'Tutto a posto.',
    problems: (count: number) => (count === 1 ? '1 problema da risolvere.' : `${count} problemi da risolvere.`),
    fix: 'Soluzione',
    failed: (name: string) => `doctor si è interrotto per un errore inatteso (${name})`,
  },
  en: {
    healthy: 'All good.',
    problems: (count: number) => (count === 1 ? '1 problem to fix.' : `${count} problems to fix.`),
    fix: 'Fix',
    failed: (name: string) => `doctor failed unexpectedly (${name})`,
  },
} as const satisfies Record<Locale, unknown>;

export const SETUP_TEXT = {
  it: {
    title: 'keyrelay setup',
    dryRun: ' (prova: nessuna modifica)',
    planned: 'da fare',
    next: 'Prossimi passi:',
    settings: 'impostazioni',
    invalidSettings: 'impostazioni mancanti o non valide:',
    fix: 'Soluzione',
    failed: (name: string) => `setup si è interrotto per un errore inatteso (${name})`,
  },
  en: {
    title: 'keyrelay setup',
    dryRun: ' (dry run: no changes)',
    planned: 'would',
    next: 'Next steps:',
    settings: 'settings',
    invalidSettings: 'settings missing or invalid:',
    fix: 'Fix',
    failed: (name: string) => `setup failed unexpectedly (${name})`,
  },
} as const satisfies Record<Locale, unknown>;
