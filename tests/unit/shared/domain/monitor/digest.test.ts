import { escapeHtml } from '#src/shared/presentation/html.js';
import { describe, expect, it } from 'vitest';
import { credentialIds, type MonitoredCredential } from '#src/shared/domain/monitor/credentials.js';
import {
  portalCredentialsUrl,
  renderDigest,
  type DigestInput,
  type DigestItem,
} from '#src/shared/domain/monitor/digest.js';

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

function withoutInUse({ inUse: _unknown, ...credential }: MonitoredCredential): MonitoredCredential {
  return credential;
}

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
    timeZone: 'Europe/Rome',
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

  it('names the credential, the exact date and time with its zone, and the days left in subject, HTML and text', () => {
    expect(digest.subject).toBe('[keyrelay] ActNow: segreto client «ActNow» scade tra 30 giorni (24 novembre 2026)');
    for (const body of [visibleText(digest.html), digest.text]) {
      expect(body).toContain('24 novembre 2026, ore 11:00 CET');
      expect(body).not.toContain('ora italiana');
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
    expect(digest.text).toContain('24 November 2026, 11:00 CET');
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

  it('explains a rotation step that failed with its error code and gives the manual steps', () => {
    const action = { kind: 'rotation-failed', reason: 'step_failed', errorCode: 'keyvault_403' } as const;
    const english = renderDigest(input({ items: [item({ action })] }), 'en');
    expect(english.text).toContain('Automatic renewal failed: a renewal step failed (error code `keyvault_403`)');
    expect(english.text).not.toContain('renew it automatically');
    expect(english.text).toContain('What you need to do');
    const italian = renderDigest(input({ items: [item({ action })] }), 'it');
    expect(italian.text).toContain(
      'Il rinnovo automatico non è riuscito: un passo del rinnovo non è riuscito (codice errore `keyvault_403`)',
    );
  });

  it('orders expired items first and words them as expired', () => {
    const expired = item({
      credential: { ...secret, id: 'kv:other', kind: 'key-vault-secret', label: 'other' },
      daysLeft: -3,
      state: 'expired',
    });
    const digest = renderDigest(input({ items: [item(), expired] }), 'en');
    // The secret keyrelay authenticates with comes first: every mailbox depends on it.
    expect(digest.subject).toBe('[keyrelay] ActNow: client secret "ActNow" expires in 30 days (24 November 2026) (+1)');
    expect(digest.text.indexOf('"ActNow" expires')).toBeLessThan(digest.text.indexOf('"other"'));
    const third = item({
      credential: { ...secret, id: 'kv:third', kind: 'key-vault-secret', label: 'third' },
      daysLeft: 7,
    });
    const withoutSecret = renderDigest(input({ items: [third, expired] }), 'en');
    expect(withoutSecret.subject).toBe(
      '[keyrelay] ActNow: Key Vault secret "other" expired 3 days ago (24 November 2026) (+1)',
    );
    expect(withoutSecret.text.indexOf('"other"')).toBeLessThan(withoutSecret.text.indexOf('"third"'));
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
      'info@contoso.com (error code `invalid_grant:50173`): Reconnect https://keyrelay.example/api/connect?loginHint=info%40contoso.com',
    );
    expect(digest.text).toContain('permission Application.Read.All is missing');
    // The heading is the mail's title: said once.
    expect(digest.text.match(/Mailboxes to reconnect/g)).toHaveLength(1);
    expect(digest.html.match(/Mailboxes to reconnect/g)).toHaveLength(1);
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

describe('renderDigest wording for renewals and passwords not in use', () => {
  const renewal = {
    renewedAt: new Date('2026-11-24T06:00:00Z'),
    newExpiresAt: new Date('2028-11-23T06:00:00Z'),
    oldRemovalAfter: new Date('2026-12-01T06:00:00Z'),
    oldExpiresAt: new Date('2026-12-14T06:00:00Z'),
  };

  it('names a completed renewal in the subject and title when it is the only news (it, en)', () => {
    const it_ = renderDigest(input({ items: [], renewal, rotationHistory: [renewal] }), 'it');
    expect(it_.subject).toBe(
      '[keyrelay] ActNow: segreto client rinnovato il 24 novembre 2026, nessuna azione richiesta',
    );
    expect(it_.html).toContain('<h1 style="font-size:20px;margin:0 0 8px 0;">Segreto client rinnovato</h1>');
    for (const body of [visibleText(it_.html), it_.text]) {
      expect(body).toContain(
        'keyrelay ha rinnovato il segreto client il 24 novembre 2026: il nuovo segreto vale fino al 23 novembre 2028 ed è già in uso. keyrelay rimuoverà il vecchio segreto (in scadenza il 14 dicembre 2026) dal 1 dicembre 2026 in poi. Nessuna azione richiesta.',
      );
      expect(body).not.toContain('nessuna credenziale in scadenza');
      expect(body).not.toContain('Credenziali in scadenza');
      // This run's renewal is announced once, not repeated in the history.
      expect(body).not.toContain('Rinnovi automatici');
    }
    const en = renderDigest(input({ items: [], renewal, rotationHistory: [renewal] }), 'en');
    expect(en.subject).toBe('[keyrelay] ActNow: client secret renewed on 24 November 2026, nothing to do');
    expect(en.text).toContain(
      'keyrelay renewed the client secret on 24 November 2026: the new secret is valid until 23 November 2028 and already in use. keyrelay will remove the old secret (expiring on 14 December 2026) on or after 1 December 2026. Nothing to do.',
    );
  });

  it('keeps an expiring credential as the subject when a renewal comes with it', () => {
    const digest = renderDigest(input({ renewal, rotationHistory: [renewal] }), 'en');
    expect(digest.subject).toBe('[keyrelay] ActNow: client secret "ActNow" expires in 30 days (24 November 2026)');
    expect(digest.text).toContain('Client secret renewed\nkeyrelay renewed the client secret on 24 November 2026');
  });

  it('says when an old secret is removed, will be removed, or is kept', () => {
    const removed = renderDigest(
      input({
        items: [],
        renewal: {
          renewedAt: renewal.renewedAt,
          newExpiresAt: renewal.newExpiresAt,
          oldExpiresAt: renewal.oldExpiresAt,
          oldRemovedAt: renewal.renewedAt,
        },
      }),
      'en',
    );
    expect(removed.text).toContain('The old secret (expiring on 14 December 2026) was removed on 24 November 2026.');
    const kept = renderDigest(input({ items: [], renewal: { renewedAt: renewal.renewedAt } }), 'it');
    expect(kept.text).toContain('keyrelay non rimuove il vecchio segreto: resta valido fino alla sua scadenza.');
    const history = renderDigest(
      input({
        rotationHistory: [
          { renewedAt: renewal.renewedAt, oldRemovalAfter: renewal.oldRemovalAfter },
          { renewedAt: new Date('2024-11-24T06:00:00Z') },
        ],
      }),
      'en',
    );
    expect(history.text).toContain(
      '- Secret renewed on 24 November 2026, old secret to be removed on or after 1 December 2026.',
    );
    expect(history.text).toContain('- Secret renewed on 24 November 2024, old secret left until it expires.');
  });

  it('calls a password keyrelay does not use what it is, with no impact on keyrelay and no renewal steps', () => {
    const unused = item({
      credential: { ...secret, label: 'old test secret', inUse: false },
      action: { kind: 'not-in-use' },
    });
    for (const locale of ['it', 'en'] as const) {
      const digest = renderDigest(input({ items: [unused] }), locale);
      expect(digest.text).not.toContain('ROTATION_MODE');
      expect(digest.text).not.toContain(locale === 'it' ? 'Cosa devi fare' : 'What you need to do');
      expect(digest.text).not.toContain(locale === 'it' ? 'smetterà di inviare posta' : 'will stop sending mail');
    }
    const it_ = renderDigest(input({ items: [unused] }), 'it');
    // Not keyrelay's: it never touches it, so the admin may delete it, in the quiet part.
    expect(it_.subject).toBe('[keyrelay] ActNow: nessuna azione richiesta');
    expect(it_.text).toContain('Nessuna azione richiesta\n');
    expect(it_.text).toContain(
      "Segreto client «old test secret» (scade il 24 novembre 2026): keyrelay non lo usa e non lo tocca, nessun impatto su keyrelay. Se nient'altro lo usa, puoi eliminarlo dal portale.",
    );
    expect(it_.text).not.toContain('Cosa scade');
  });

  it('after a rotation: the old secret goes to a quiet part with the date keyrelay removes it, and never an instruction to delete it', () => {
    const old = item({
      credential: {
        ...secret,
        id: credentialIds.appPassword(APP_ID, 'k0'),
        keyId: 'k0',
        label: 'ActNow',
        inUse: false,
      },
      daysLeft: 20,
      expiresAt: new Date('2026-12-14T06:00:00Z'),
      action: { kind: 'not-in-use' },
    });
    const vault = item({
      credential: { ...secret, id: 'kv:smtp-relay', kind: 'key-vault-secret', label: 'smtp-relay' },
      daysLeft: 40,
    });
    const replaced = { ...renewal, oldKeyId: 'k0', oldRemovalAfter: new Date('2026-12-10T06:00:00Z') };
    const digest = renderDigest(input({ items: [old, vault], renewal: replaced, rotationHistory: [replaced] }), 'it');
    expect(digest.subject).toBe(
      '[keyrelay] ActNow: segreto Key Vault «smtp-relay» scade tra 40 giorni (24 novembre 2026)',
    );
    // This digest announces the renewal: its paragraph already says what happens to the old secret, once.
    expect(digest.text).toContain(
      'keyrelay rimuoverà il vecchio segreto (in scadenza il 14 dicembre 2026) dal 10 dicembre 2026 in poi.',
    );
    expect(digest.text).not.toContain('Vecchio segreto client');
    // A later digest, the renewal only in the history: the old secret in the quiet part, with its date.
    const later = renderDigest(input({ items: [old, vault], rotationHistory: [replaced] }), 'it');
    expect(later.subject).toBe(
      '[keyrelay] ActNow: segreto Key Vault «smtp-relay» scade tra 40 giorni (24 novembre 2026)',
    );
    for (const body of [digest.text, visibleText(later.html), later.text]) {
      expect(body).not.toContain('scade tra 20 giorni');
      expect(body).not.toMatch(/elimina/i);
    }
    for (const body of [visibleText(later.html), later.text]) {
      expect(body).not.toContain('scade tra 20 giorni');
      expect(body).not.toMatch(/elimina/i);
      expect(body).toContain(
        'Vecchio segreto client «ActNow» (scade il 14 dicembre 2026): sostituito dal rinnovo, non più in uso. keyrelay lo rimuoverà da solo dal 10 dicembre 2026.',
      );
      expect(body).toContain('Nessuna azione richiesta');
      // What needs reading comes before the quiet part.
      expect(body.indexOf('smtp-relay')).toBeLessThan(body.indexOf('Vecchio segreto client'));
    }
    const onlyOld = renderDigest(input({ items: [old], renewal: replaced, rotationHistory: [replaced] }), 'en');
    expect(onlyOld.subject).toBe('[keyrelay] ActNow: client secret renewed on 24 November 2026, nothing to do');
    const onlyOldLater = renderDigest(input({ items: [old], rotationHistory: [replaced] }), 'en');
    expect(onlyOldLater.subject).toBe('[keyrelay] ActNow: nothing to do');
    expect(onlyOldLater.text).toContain('keyrelay removes it itself on or after 10 December 2026.');
    const kept = renderDigest(
      input({ items: [old], rotationHistory: [{ renewedAt: renewal.renewedAt, oldKeyId: 'k0' }] }),
      'en',
    );
    expect(kept.subject).toBe('[keyrelay] ActNow: nothing to do');
    expect(kept.text).toContain('keyrelay leaves it until it expires (`ROTATION_OVERLAP_DAYS=never`)');
  });

  it('in federated mode calls a leftover secret no longer needed, in the subject and the table', () => {
    const leftover = item({ credential: { ...secret, inUse: false }, daysLeft: 20, action: { kind: 'not-in-use' } });
    const digest = renderDigest(input({ items: [leftover], clientCredential: 'federated' }), 'it');
    expect(digest.subject).toBe('[keyrelay] ActNow: 1 segreto client non più necessario');
    expect(digest.text).toContain('Non più necessario: keyrelay usa la credenziale federata');
    const english = renderDigest(input({ items: [leftover], clientCredential: 'federated' }), 'en');
    expect(english.subject).toBe('[keyrelay] ActNow: 1 client secret no longer needed');
    expect(english.subject).not.toContain('expires in');
  });

  it('says when keyrelay renews the secret in use and that nothing needs doing', () => {
    const digest = renderDigest(
      input({ items: [item({ action: { kind: 'rotation-planned', on: new Date('2026-10-25T05:00:00Z') } })] }),
      'it',
    );
    expect(digest.subject).toBe(
      '[keyrelay] ActNow: segreto client «ActNow» scade tra 30 giorni (24 novembre 2026), nessuna azione richiesta',
    );
  });

  it('names an app called keyrelay once in the subject', () => {
    const digest = renderDigest(
      input({ app: { appId: APP_ID, tenantId: 'contoso-tenant', displayName: 'keyrelay' }, items: [] }),
      'it',
    );
    expect(digest.subject).toBe('[keyrelay] nessuna credenziale in scadenza');
  });

  it('prints every time in ALERT_TIME_ZONE with the zone', () => {
    const utc = renderDigest(input({ timeZone: 'UTC' }), 'en');
    expect(utc.text).toContain('24 November 2026, 10:00 UTC');
    const newYork = renderDigest(input({ timeZone: 'America/New_York' }), 'it');
    expect(newYork.text).toContain('24 novembre 2026, ore 05:00 GMT-5');
  });

  it('explains a client secret whose use keyrelay cannot tell, with the manual steps', () => {
    const digest = renderDigest(
      input({ items: [item({ credential: withoutInUse(secret), action: { kind: 'in-use-unknown' } })] }),
      'en',
    );
    expect(digest.text).toContain('keyrelay cannot tell which client secret it uses, so it cannot renew it by itself');
    expect(digest.text).not.toContain('ROTATION_MODE');
    expect(digest.text).toContain('What you need to do');
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

  it('adds no line and no bidi override to the text mail or the subject from a label or an address', () => {
    const digest = renderDigest(
      input({
        app: { appId: APP_ID, tenantId: 't', displayName: 'Act\u202Ewon' },
        items: [item({ credential: { ...secret, label: 'ActNow\nStep 1: send the secret to evil@example.com' } })],
        reconnects: [{ upn: 'info@contoso.com\u2028- forged', reconnectUrl: 'https://keyrelay.example/api/connect' }],
      }),
      'en',
    );
    expect(digest.text).not.toMatch(/^Step 1|^- forged|\u202E|\u2028/m);
    expect(digest.subject).not.toMatch(/[\u202E\n]/);
  });
});
