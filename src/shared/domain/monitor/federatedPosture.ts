// OAUTH_CLIENT_CREDENTIAL=federated in the monitor's words (DESIGN §2): nothing expires and nothing is
// rotated, but the app registration's federated credential must keep naming keyrelay's identity (an
// urgent alert when it was removed or changed), and passwords left on the app or in Key Vault are no
// longer needed (an alert to remove them, with their date). Pure: claims in, verdict and text out.
import type { Locale } from '#src/shared/presentation/locale.js';
import { formatDate, type DisplayZone } from '#src/shared/presentation/time.js';

export interface FederatedCredentialRecord {
  issuer: string;
  subject: string;
  audiences: readonly string[];
}

/** What the identity's assertion carries: a credential must list exactly these to trust it. */
export interface FederatedIdentity {
  issuer: string;
  subject: string;
  audience: string;
}

/**
 * `missing`: no credential trusts the identity's issuer + subject (removed, or never added);
 * `mismatch`: one names the identity but not the audience, or names the issuer with another subject (changed).
 */
export type FederatedMatch = 'matching' | 'missing' | 'mismatch';

export function matchFederatedCredential(
  credentials: readonly FederatedCredentialRecord[],
  identity: FederatedIdentity,
): FederatedMatch {
  const sameIssuer = credentials.filter((c) => c.issuer === identity.issuer);
  if (sameIssuer.some((c) => c.subject === identity.subject && c.audiences.includes(identity.audience)))
    return 'matching';
  return sameIssuer.length === 0 ? 'missing' : 'mismatch';
}

/** Urgent: keyrelay cannot authenticate (`refused`: Entra or the identity said no, with the code). */
export interface FederatedProblem {
  state: 'missing' | 'mismatch' | 'refused';
  errorCode?: string;
}

/** A password on the app, or the client secret still in Key Vault, that federated mode no longer needs. */
export interface LeftoverSecret {
  label: string;
  where: 'app' | 'key-vault';
  expiresAt: Date;
}

export interface FederatedPostureNotice {
  problem?: FederatedProblem;
  leftovers: readonly LeftoverSecret[];
}

export const FEDERATED_SETUP_COMMAND = 'npm run setup -- --federated';

export const FEDERATED_MESSAGES = {
  it: {
    problemHeadline: 'URGENTE: keyrelay non riesce ad autenticarsi (credenziale federata)',
    problem: {
      missing: `La credenziale federata dell'app non esiste più: keyrelay non può rinnovare i token e ActNow smetterà di inviare posta. Soluzione: esegui \`${FEDERATED_SETUP_COMMAND}\`.`,
      mismatch: `La credenziale federata dell'app è stata modificata e non corrisponde più all'identità gestita di keyrelay (emittente, soggetto = object id dell'identità, audience): ActNow smetterà di inviare posta. Soluzione: esegui \`${FEDERATED_SETUP_COMMAND}\`.`,
      refused: `Entra ID rifiuta la credenziale federata di keyrelay{code}: ActNow non può inviare posta. Esegui \`npm run doctor\` per la causa e \`${FEDERATED_SETUP_COMMAND}\` per ripararla.`,
    },
    code: (code: string) => ` (codice ${code})`,
    leftoverHeadline: (count: number) =>
      count === 1 ? '1 segreto client non più necessario' : `${count} segreti client non più necessari`,
    leftover: (secret: LeftoverSecret, date: (value: Date) => string) =>
      secret.where === 'app'
        ? `Segreto client «${secret.label}» dell'app (scade il ${date(secret.expiresAt)}): non più necessario, keyrelay usa la credenziale federata. Eliminalo dal portale.`
        : `Segreto Key Vault «${secret.label}» (scade il ${date(secret.expiresAt)}): non più necessario, keyrelay usa la credenziale federata. Eliminalo da Key Vault.`,
  },
  en: {
    problemHeadline: 'URGENT: keyrelay cannot authenticate (federated credential)',
    problem: {
      missing: `The app's federated credential no longer exists: keyrelay cannot refresh tokens and ActNow will stop sending mail. Fix: run \`${FEDERATED_SETUP_COMMAND}\`.`,
      mismatch: `The app's federated credential was changed and no longer matches keyrelay's managed identity (issuer, subject = the identity's object id, audience): ActNow will stop sending mail. Fix: run \`${FEDERATED_SETUP_COMMAND}\`.`,
      refused: `Entra ID refuses keyrelay's federated credential{code}: ActNow cannot send mail. Run \`npm run doctor\` for the cause and \`${FEDERATED_SETUP_COMMAND}\` to repair it.`,
    },
    code: (code: string) => ` (code ${code})`,
    leftoverHeadline: (count: number) =>
      count === 1 ? '1 client secret no longer needed' : `${count} client secrets no longer needed`,
    leftover: (secret: LeftoverSecret, date: (value: Date) => string) =>
      secret.where === 'app'
        ? `Client secret "${secret.label}" on the app (expires on ${date(secret.expiresAt)}): no longer needed, keyrelay uses the federated credential. Remove it in the portal.`
        : `Key Vault secret "${secret.label}" (expires on ${date(secret.expiresAt)}): no longer needed, keyrelay uses the federated credential. Remove it from Key Vault.`,
  },
} as const satisfies Record<Locale, unknown>;

/** The digest's subject headline for the notice: the problem first, else the leftovers. */
export function federatedHeadline(notice: FederatedPostureNotice, { locale }: DisplayZone): string | undefined {
  const messages = FEDERATED_MESSAGES[locale];
  if (notice.problem) return messages.problemHeadline;
  return notice.leftovers.length > 0 ? messages.leftoverHeadline(notice.leftovers.length) : undefined;
}

/** Paragraphs for the digest (HTML escapes them), most urgent first. */
export function federatedParagraphs(notice: FederatedPostureNotice, zone: DisplayZone): string[] {
  const messages = FEDERATED_MESSAGES[zone.locale];
  const date = (value: Date): string => formatDate(value, zone);
  const paragraphs: string[] = [];
  if (notice.problem) {
    const code = notice.problem.errorCode === undefined ? '' : messages.code(notice.problem.errorCode);
    paragraphs.push(messages.problem[notice.problem.state].replace('{code}', code));
  }
  return [...paragraphs, ...notice.leftovers.map((secret) => messages.leftover(secret, date))];
}

/** One notice from several claimed ones (the problem, if any, and every leftover). */
export function mergeFederatedNotices(notices: readonly FederatedPostureNotice[]): FederatedPostureNotice | undefined {
  if (notices.length === 0) return undefined;
  const problem = notices.find((notice) => notice.problem)?.problem;
  return { ...(problem ? { problem } : {}), leftovers: notices.flatMap((notice) => notice.leftovers) };
}
