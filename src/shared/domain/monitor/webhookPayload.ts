// The optional webhook channel: one JSON body that a Teams incoming webhook renders (a message with an
// Adaptive Card attachment) and that a generic consumer reads from the `keyrelay` member.
import {
  describeItem,
  digestMessages,
  digestParts,
  itemActionText,
  portalCredentialsUrl,
  renderDigest,
  type DigestAction,
  withOneLineTexts,
  type DigestInput,
} from './digest.js';
import type { Locale } from '#src/shared/presentation/locale.js';
import { formatDate, type DisplayZone } from '#src/shared/presentation/time.js';

// Characters that start formatting in the card's markdown (Teams: emphasis, links, code, headings, HTML),
// and the list markers that do so at the start of a text. A link needs `[`, so `(` stays as it is.
const CARD_MARKDOWN = /[\\`*_[\]#|<>~]/g;
const LIST_MARKER = /^(\d+\.|[-+])/;

/** Text from outside keyrelay shown literally in an Adaptive Card's markdown (TextBlock, FactSet). */
export function escapeCardMarkdown(text: string): string {
  return text
    .replace(CARD_MARKDOWN, (character) => `\\${character}`)
    .replace(LIST_MARKER, (marker) => `${marker.slice(0, -1)}\\${marker.slice(-1)}`);
}

export interface WebhookDigestItem {
  credentialId: string;
  kind: string;
  label: string;
  state: 'expiring' | 'expired';
  daysLeft: number;
  expiresAt: string;
  action: { kind: DigestAction['kind']; on?: string; newExpiresAt?: string; reason?: string };
}

/** What a Teams incoming webhook renders: a message with one Adaptive Card. */
export interface AdaptiveCardMessage {
  type: 'message';
  summary: string;
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: Record<string, unknown>;
  }>;
}

export function adaptiveCardMessage(summary: string, body: unknown[], actions: unknown[]): AdaptiveCardMessage {
  return {
    type: 'message',
    summary,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions,
        },
      },
    ],
  };
}

export interface WebhookPayload extends AdaptiveCardMessage {
  keyrelay: {
    type: 'keyrelay.digest';
    version: 1;
    app: DigestInput['app'];
    items: WebhookDigestItem[];
    mailboxesToReconnect: Array<{ upn: string; reconnectUrl: string; errorCode?: string }>;
    missingPermission?: string;
    portalUrl: string;
  };
}

function actionForJson(action: DigestAction): WebhookDigestItem['action'] {
  switch (action.kind) {
    case 'rotation-planned':
      return { kind: action.kind, on: action.on.toISOString() };
    case 'rotated':
      return { kind: action.kind, on: action.on.toISOString(), newExpiresAt: action.newExpiresAt.toISOString() };
    case 'rotation-failed':
      return { kind: action.kind, reason: action.reason };
    case 'alert-only':
    case 'not-in-use':
    case 'in-use-unknown':
      return { kind: action.kind };
  }
}

function isWebLink(url: string): boolean {
  return URL.canParse(url) && ['https:', 'http:'].includes(new URL(url).protocol);
}

export function buildWebhookPayload(untrusted: DigestInput, locale: Locale): WebhookPayload {
  const input = withOneLineTexts(untrusted);
  const zone: DisplayZone = { locale, timeZone: input.timeZone };
  const messages = digestMessages(zone);
  const parts = digestParts(input);
  // What needs reading first, then the quiet secrets keyrelay handles itself.
  const items = [...parts.items, ...parts.quiet];
  const { subject } = renderDigest(input, locale);
  const portalUrl = portalCredentialsUrl(input.app.appId);
  const md = escapeCardMarkdown;
  const facts = items.map((item) => ({
    title: md(item.credential.label),
    value: md(
      `${describeItem(item, zone)} — ${formatDate(item.expiresAt, zone)}. ${itemActionText(item, input, messages)}`,
    ),
  }));
  const reconnectFacts = input.reconnects.map((mailbox) => ({
    title: md(mailbox.upn),
    value: md(messages.reconnectIntro),
  }));
  const body: unknown[] = [
    { type: 'TextBlock', text: md(subject), weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'TextBlock', text: md(messages.intro(input.app)), wrap: true },
  ];
  if (input.missingPermission)
    body.push({
      type: 'TextBlock',
      text: md(messages.missingPermission(input.missingPermission)),
      wrap: true,
      color: 'Warning',
    });
  if (facts.length > 0) body.push({ type: 'FactSet', facts });
  if (reconnectFacts.length > 0) {
    body.push(
      { type: 'TextBlock', text: md(messages.reconnectHeading), weight: 'Bolder', wrap: true },
      { type: 'FactSet', facts: reconnectFacts },
    );
  }
  const actions = [
    ...(items.length > 0 ? [{ type: 'Action.OpenUrl', title: messages.portalLink, url: portalUrl }] : []),
    ...input.reconnects
      .filter((mailbox) => isWebLink(mailbox.reconnectUrl))
      .map((mailbox) => ({
        type: 'Action.OpenUrl',
        title: `${messages.reconnectLink} ${mailbox.upn}`,
        url: mailbox.reconnectUrl,
      })),
  ];
  return {
    ...adaptiveCardMessage(subject, body, actions),
    keyrelay: {
      type: 'keyrelay.digest',
      version: 1,
      app: input.app,
      items: items.map((item) => ({
        credentialId: item.credential.id,
        kind: item.credential.kind,
        label: item.credential.label,
        state: item.state,
        daysLeft: item.daysLeft,
        expiresAt: item.expiresAt.toISOString(),
        action: actionForJson(item.action),
      })),
      mailboxesToReconnect: input.reconnects.map((mailbox) => ({ ...mailbox })),
      ...(input.missingPermission ? { missingPermission: input.missingPermission } : {}),
      portalUrl,
    },
  };
}
