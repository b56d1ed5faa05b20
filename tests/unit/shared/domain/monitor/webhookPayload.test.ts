import { describe, expect, it } from 'vitest';
import type { DigestInput } from '#src/shared/domain/monitor/digest.js';
import { buildWebhookPayload } from '#src/shared/domain/monitor/webhookPayload.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const EXPIRES_AT = new Date('2026-11-24T10:00:00Z');

const input: DigestInput = {
  app: { appId: APP_ID, tenantId: 'contoso-tenant', displayName: 'ActNow' },
  timeZone: 'Europe/Rome',
  items: [
    {
      credential: {
        id: `app:${APP_ID}:password:k1`,
        kind: 'client-secret',
        label: 'ActNow',
        appId: APP_ID,
        keyId: 'k1',
        expiresAt: EXPIRES_AT,
        inUse: true,
      },
      daysLeft: 7,
      state: 'expiring',
      expiresAt: EXPIRES_AT,
      action: { kind: 'rotation-failed', reason: 'permission_denied' },
    },
  ],
  reconnects: [
    {
      upn: 'info@contoso.com',
      reconnectUrl: 'https://keyrelay.example/api/connect?loginHint=info%40contoso.com',
      errorCode: 'invalid_grant:50173',
    },
    { upn: 'odd@contoso.com', reconnectUrl: 'javascript:alert(1)' },
  ],
  missingPermission: 'Application.Read.All',
  rotationHistory: [],
};

describe('buildWebhookPayload', () => {
  const payload = buildWebhookPayload(input, 'en');

  it('is a Teams message with one Adaptive Card attachment carrying title, facts and links', () => {
    expect(payload.type).toBe('message');
    expect(payload.attachments).toHaveLength(1);
    const [attachment] = payload.attachments;
    expect(attachment?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = attachment?.content as {
      type: string;
      version: string;
      body: Array<Record<string, unknown>>;
      actions: Array<Record<string, unknown>>;
    };
    expect(card.type).toBe('AdaptiveCard');
    expect(card.version).toBe('1.4');
    expect(card.body[0]).toMatchObject({
      type: 'TextBlock',
      // Markdown: the brackets are escaped so that they show as typed.
      text: '\\[keyrelay\\] ActNow: client secret "ActNow" expires in 7 days (24 November 2026): automatic renewal failed',
    });
    const factSet = card.body.find((element) => element.type === 'FactSet') as {
      facts: Array<{ title: string; value: string }>;
    };
    expect(factSet.facts[0]?.title).toBe('ActNow');
    expect(factSet.facts[0]?.value).toContain('24 November 2026');
    expect(factSet.facts[0]?.value).toContain('Application.ReadWrite.OwnedBy');
    expect(card.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: 'Open Certificates & secrets in the Azure portal',
        url: `https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/${APP_ID}`,
      },
      {
        type: 'Action.OpenUrl',
        title: 'Reconnect info@contoso.com',
        url: 'https://keyrelay.example/api/connect?loginHint=info%40contoso.com',
      },
    ]);
  });

  it('carries a machine-readable keyrelay.digest for generic JSON consumers', () => {
    expect(payload.keyrelay).toMatchObject({
      type: 'keyrelay.digest',
      version: 1,
      app: { appId: APP_ID },
      items: [
        {
          credentialId: `app:${APP_ID}:password:k1`,
          kind: 'client-secret',
          daysLeft: 7,
          state: 'expiring',
          expiresAt: '2026-11-24T10:00:00.000Z',
          action: { kind: 'rotation-failed', reason: 'permission_denied' },
        },
      ],
      mailboxesToReconnect: [{ upn: 'info@contoso.com', errorCode: 'invalid_grant:50173' }, { upn: 'odd@contoso.com' }],
      missingPermission: 'Application.Read.All',
    });
  });

  it('survives a JSON round trip unchanged (no Dates, no undefined members in the card)', () => {
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
  });

  it('speaks Italian when asked', () => {
    const italian = buildWebhookPayload(input, 'it');
    expect(italian.summary).toBe(
      '[keyrelay] ActNow: segreto client «ActNow» scade tra 7 giorni (24 novembre 2026): rinnovo automatico non riuscito',
    );
  });

  it('shows an attacker-controlled address or label literally: markdown escaped, one line, JSON intact', () => {
    const hostile = buildWebhookPayload(
      {
        ...input,
        items: input.items.map((item) => ({
          ...item,
          credential: { ...item.credential, label: '**URGENT** [click](https://evil.example)\n- fake line\u202E' },
        })),
        reconnects: [{ upn: '_x_*y*@contoso.com', reconnectUrl: 'https://keyrelay.example/api/connect' }],
      },
      'en',
    );
    const text = JSON.stringify(hostile.attachments[0]?.content);
    expect(text).toContain('\\\\*\\\\*URGENT\\\\*\\\\* \\\\[click\\\\](https://evil.example) - fake line ');
    expect(text).toContain('\\\\_x\\\\_\\\\*y\\\\*@contoso.com');
    expect(text).not.toMatch(/\\n- fake|\u202E/);
    expect(JSON.parse(JSON.stringify(hostile))).toEqual(hostile);
  });
});
