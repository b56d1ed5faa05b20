import { describe, expect, it } from 'vitest';
import type { PublishedPermissions, SecretValue } from '#src/shared/ports/index.js';
import {
  adminConsentUrl,
  EXCHANGE_ONLINE_APP_ID,
  mergeResourceAccess,
  MICROSOFT_GRAPH_APP_ID,
  PermissionNotPublishedError,
  planApplicationChanges,
  requiredResourceAccessFrom,
  secretEndDate,
  storedSecretState,
} from '#src/shared/services/setup/appRegistrationPlan.js';

const exchange: PublishedPermissions = {
  id: 'sp-exo',
  appId: EXCHANGE_ONLINE_APP_ID,
  oauth2PermissionScopes: [{ id: 'id-smtp', value: 'SMTP.Send' }],
  appRoles: [],
};
const graph: PublishedPermissions = {
  id: 'sp-graph',
  appId: MICROSOFT_GRAPH_APP_ID,
  oauth2PermissionScopes: ['Mail.Send', 'offline_access', 'openid', 'profile', 'User.Read'].map((value) => ({
    id: `id-${value}`,
    value,
  })),
  appRoles: [{ id: 'role-mail', value: 'Mail.Send' }],
};
const published = new Map([
  [EXCHANGE_ONLINE_APP_ID, exchange],
  [MICROSOFT_GRAPH_APP_ID, graph],
]);
const REDIRECT = 'https://func.example/api/oauth/callback';
const NOW = new Date('2026-01-10T00:00:00Z');

describe('requiredResourceAccessFrom', () => {
  it('takes each permission id from the resource by value, delegated (Scope) only', () => {
    expect(requiredResourceAccessFrom(published)).toEqual([
      { resourceAppId: EXCHANGE_ONLINE_APP_ID, resourceAccess: [{ id: 'id-smtp', type: 'Scope' }] },
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccess: ['Mail.Send', 'offline_access', 'openid', 'profile'].map((value) => ({
          id: `id-${value}`,
          type: 'Scope',
        })),
      },
    ]);
  });

  it('fails naming the resource and scope when a tenant does not publish one', () => {
    const withoutExchange = new Map([[MICROSOFT_GRAPH_APP_ID, graph]]);
    expect(() => requiredResourceAccessFrom(withoutExchange)).toThrow(PermissionNotPublishedError);
    expect(() => requiredResourceAccessFrom(withoutExchange)).toThrow(/Exchange Online .*SMTP\.Send/);
  });
});

describe('planApplicationChanges', () => {
  const required = requiredResourceAccessFrom(published);

  it('changes nothing on a registration that already has everything', () => {
    expect(
      planApplicationChanges(
        { signInAudience: 'AzureADMultipleOrgs', webRedirectUris: [REDIRECT], requiredResourceAccess: required },
        REDIRECT,
        required,
      ),
    ).toEqual({
      changes: {},
      kinds: [],
    });
  });

  it('adds the redirect URI and missing permissions while keeping what an admin added', () => {
    const extra = {
      resourceAppId: MICROSOFT_GRAPH_APP_ID,
      resourceAccess: [{ id: 'id-User.Read', type: 'Scope' as const }],
    };
    const plan = planApplicationChanges(
      {
        signInAudience: 'AzureADMyOrg',
        webRedirectUris: ['https://other.example/cb'],
        requiredResourceAccess: [extra],
      },
      REDIRECT,
      required,
    );

    expect(plan.kinds).toEqual(['audience', 'redirectUri', 'permissions']);
    expect(plan.changes.signInAudience).toBe('AzureADMultipleOrgs');
    expect(plan.changes.webRedirectUris).toEqual(['https://other.example/cb', REDIRECT]);
    expect(plan.changes.requiredResourceAccess).toEqual(mergeResourceAccess([extra], required));
    expect(
      plan.changes.requiredResourceAccess?.find((entry) => entry.resourceAppId === MICROSOFT_GRAPH_APP_ID)
        ?.resourceAccess[0],
    ).toEqual(extra.resourceAccess[0]);
  });
});

describe('storedSecretState', () => {
  const app = {
    appId: 'app-1',
    passwordCredentials: [
      { keyId: 'KEY-1', displayName: null, hint: 'abc', startDateTime: null, endDateTime: '2027-01-01T00:00:00Z' },
      { keyId: 'key-old', displayName: null, hint: 'old', startDateTime: null, endDateTime: '2025-01-01T00:00:00Z' },
    ],
  };
  const secret = (value: string, tags: Record<string, string>, enabled = true): SecretValue => ({
    name: 's',
    value,
    version: 'v1',
    tags,
    updatedOn: NOW,
    enabled,
  });

  it('is usable when tagged for this app with a live credential (keyId compared case-insensitively)', () => {
    expect(storedSecretState(secret('abc-secret', { appId: 'app-1', keyId: 'key-1' }), app, NOW)).toMatchObject({
      usable: true,
      credential: { keyId: 'KEY-1' },
    });
  });

  it('is usable when untagged but Graph’s hint names exactly one credential', () => {
    expect(storedSecretState(secret('abc-by-hand', {}), app, NOW)).toMatchObject({ usable: true });
  });

  it.each([
    ['missing', undefined],
    ['disabled', secret('abc', { appId: 'app-1', keyId: 'key-1' }, false)],
    ['other_app', secret('abc', { appId: 'app-2', keyId: 'key-1' })],
    ['untagged', secret('zzz-unknown-hint', {})],
    ['credential_gone', secret('abc', { appId: 'app-1', keyId: 'key-removed' })],
    ['expired', secret('old', { appId: 'app-1', keyId: 'key-old' })],
  ])('is not usable when %s', (reason, stored) => {
    expect(storedSecretState(stored, app, NOW)).toEqual({ usable: false, reason });
  });
});

describe('small helpers', () => {
  it('ends a new secret the given number of months later', () => {
    expect(secretEndDate(NOW, 24).toISOString()).toBe('2028-01-10T00:00:00.000Z');
  });

  it('builds the admin-consent link of a tenant', () => {
    expect(adminConsentUrl('https://login.microsoftonline.com', 'contoso.onmicrosoft.com', 'app-1')).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=app-1',
    );
  });
});
