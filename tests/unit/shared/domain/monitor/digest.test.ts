import { describe, expect, it } from 'vitest';
import { credentialIds, type MonitoredCredential } from '../../../../../src/shared/domain/monitor/credentials.js';
import {
  escapeHtml,
  portalCredentialsUrl,
  renderDigest,
  type DigestInput,
  type DigestItem,
} from '../../../../../src/shared/domain/monitor/digest.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const EXPIRES_AT = new Date('2026-11-24T10:00:00Z');

const secret: MonitoredCredential = {
  id: credentialIds.appPassword(APP_ID, 'k1'),
  kind: 'client-secret',
  label: 'ActNow',
  appId: APP_ID,
  keyId: 'k1',
  expiresAt: EXPIRES_AT,
  inUse: true,
};

function item(overrides: Partial<DigestItem> = {}): DigestItem {
  return {
    credential: secret,
    daysLeft: 30,
    state: 'expiring',
    expiresAt: EXPIRES_AT,
    action: { kind: 'alert-only' },
    ...overrides,
  };
}

function input(overrides: Partial<DigestInput> = {}): DigestInput {
  return {
    app: { appId: APP_ID, tenantId: 'contoso-tenant', displayName: 'ActNow' },
    items: [item()],
    reconnects: [],
    rotationHistory: [],
    ...overrides,
  };
}

function visibleText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('renderDigest (Italian, the default locale)', () => {
  const digest = renderDigest(input(), 'it');

  it('names the credential, the exact Rome date and the days left in subject, HTML and text', () => {
    expect(digest.subject).toBe('[keyrelay] ActNow: segreto client «ActNow» scade tra 30 giorni (24 novembre 2026)');
    for (const body of [visibleText(digest.html), digest.text]) {
      expect(body).toContain('24 novembre 2026, ore 11:00 (ora italiana)');
      expect(body).toContain('scade tra 30 giorni');
      expect(body).toContain(APP_ID);
    }
  });

  it('states the impact on ActNow and the corrected admin steps with the portal deep link', () => {
    for (const body of [visibleText(digest.html), digest.text]) {
      expect(body).toContain('ActNow smetterà di inviare posta da tutte le caselle collegate');
      expect(body).toContain('SMTP.Send (Office 365 Exchange Online), Mail.Send e offline_access');
      expect(body).toContain('Application.ReadWrite.OwnedBy');
      expect(body).toContain('ROTATION_MODE=alert-only');
    }
    const link = portalCredentialsUrl(APP_ID);
    expect(link).toBe(
      `https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/${APP_ID}`,
    );
    expect(digest.html).toContain(`href="${link}"`);
    expect(digest.text).toContain(link);
  });

  it('is self-contained HTML: inline styles only, no script, no style element, no external asset', () => {
    expect(digest.html).toMatch(/^<!DOCTYPE html>/);
    expect(digest.html).toContain('<html lang="it">');
    expect(digest.html).not.toMatch(/<script|<style|<link|<img|src=|url\(/i);
  });
});

describe('renderDigest (English)', () => {
  it('renders English dates, days, impact and steps', () => {
    const digest = renderDigest(input(), 'en');
    expect(digest.subject).toBe('[keyrelay] ActNow: client secret "ActNow" expires in 30 days (24 November 2026)');
    expect(digest.text).toContain('24 November 2026, 11:00 (Italian time)');
    expect(digest.text).toContain('ActNow will stop sending mail from every connected mailbox');
    expect(digest.text).toContain('SMTP.Send (Office 365 Exchange Online), Mail.Send and offline_access');
  });

  it('says what keyrelay will do or did instead of asking for manual steps when rotation handles it', () => {
    const planned = renderDigest(
      input({ items: [item({ action: { kind: 'rotation-planned', on: new Date('2026-10-25T00:00:00Z') } })] }),
      'en',
    );
    expect(planned.text).toContain('keyrelay will renew it automatically on 25 October 2026.');
    expect(planned.text).not.toContain('What you need to do');
    const rotated = renderDigest(
      input({
        items: [
          item({
            action: {
              kind: 'rotated',
              on: new Date('2026-10-25T06:00:00Z'),
              newExpiresAt: new Date('2028-10-24T06:00:00Z'),
            },
          }),
        ],
      }),
      'en',
    );
    expect(rotated.text).toContain(
      'keyrelay renewed it on 25 October 2026; the new secret is valid until 24 October 2028. Nothing to do.',
    );
  });

  it('explains a blocked rotation and still gives the manual steps', () => {
    const digest = renderDigest(
      input({ items: [item({ action: { kind: 'rotation-failed', reason: 'policy_lifetime' } })] }),
      'en',
    );
    expect(digest.text).toContain("Automatic renewal failed: the tenant's policy caps client secret lifetime");
    expect(digest.text).toContain('What you need to do');
  });

  it('orders expired items first and words them as expired', () => {
    const expired = item({
      credential: { ...secret, id: 'kv:other', kind: 'key-vault-secret', label: 'other' },
      daysLeft: -3,
      state: 'expired',
    });
    const digest = renderDigest(input({ items: [item(), expired] }), 'en');
    expect(digest.subject).toBe(
      '[keyrelay] ActNow: Key Vault secret "other" expired 3 days ago (24 November 2026) (+1)',
    );
    expect(digest.text.indexOf('"other"')).toBeLessThan(digest.text.indexOf('"ActNow" expires'));
  });

  it('lists mailboxes to reconnect with their links and error codes, and names a missing Graph permission', () => {
    const digest = renderDigest(
      input({
        items: [],
        reconnects: [
          {
            upn: 'info@contoso.com',
            reconnectUrl: 'https://keyrelay.example/api/connect?loginHint=info%40contoso.com',
            errorCode: 'invalid_grant:50173',
          },
        ],
        missingPermission: 'Application.Read.All',
      }),
      'en',
    );
    expect(digest.subject).toBe('[keyrelay] ActNow: 1 mailbox to reconnect');
    expect(digest.html).toContain('href="https://keyrelay.example/api/connect?loginHint=info%40contoso.com"');
    expect(digest.text).toContain(
      'info@contoso.com (error code invalid_grant:50173): Reconnect https://keyrelay.example/api/connect?loginHint=info%40contoso.com',
    );
    expect(digest.text).toContain('permission Application.Read.All is missing');
  });

  it('announces the rotation history', () => {
    const digest = renderDigest(
      input({
        rotationHistory: [
          { renewedAt: new Date('2026-10-25T06:00:00Z'), oldRemovedAt: new Date('2026-11-01T06:00:00Z') },
        ],
      }),
      'it',
    );
    expect(digest.text).toContain('Segreto rinnovato il 25 ottobre 2026, vecchio segreto rimosso il 1 novembre 2026.');
  });
});

describe('renderDigest escaping', () => {
  it('escapes every interpolated value and never turns a non-web URL into a link', () => {
    const hostile = '<script>alert("x")</script>&\'';
    const digest = renderDigest(
      input({
        app: { appId: `${APP_ID}"><img src=x>`, tenantId: hostile, displayName: hostile },
        items: [item({ credential: { ...secret, label: hostile } })],
        reconnects: [{ upn: hostile, reconnectUrl: 'javascript:alert(1)', errorCode: hostile }],
        missingPermission: hostile,
      }),
      'en',
    );
    expect(digest.html).not.toContain('<script>');
    expect(digest.html).not.toContain('<img');
    expect(digest.html).not.toMatch(/href="javascript:/i);
    expect(digest.html).toContain(escapeHtml(hostile));
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('keeps the subject on one line whatever the display name holds', () => {
    const digest = renderDigest(
      input({ app: { appId: APP_ID, tenantId: 't', displayName: 'Act\r\nBcc: x@evil' } }),
      'en',
    );
    expect(digest.subject).not.toMatch(/[\r\n]/);
  });
});
