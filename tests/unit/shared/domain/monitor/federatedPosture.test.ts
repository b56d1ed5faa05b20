import { describe, expect, it } from 'vitest';
import { renderDigest } from '#src/shared/domain/monitor/digest.js';
import {
  federatedParagraphs,
  matchFederatedCredential,
  mergeFederatedNotices,
  type FederatedIdentity,
} from '#src/shared/domain/monitor/federatedPosture.js';

const identity: FederatedIdentity = {
  issuer: 'https://login.microsoftonline.com/6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b/v2.0',
  subject: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  audience: 'api://AzureADTokenExchange',
};
const trusted = { issuer: identity.issuer, subject: identity.subject, audiences: [identity.audience] };

describe('matchFederatedCredential', () => {
  it('matches only issuer, subject and audience together, case-sensitively as Entra does', () => {
    expect(matchFederatedCredential([trusted], identity)).toBe('matching');
    expect(matchFederatedCredential([{ ...trusted, subject: identity.subject.toUpperCase() }], identity)).toBe(
      'mismatch',
    );
    expect(matchFederatedCredential([{ ...trusted, audiences: ['api://AzureADTokenExchangeUSGov'] }], identity)).toBe(
      'mismatch',
    );
  });

  it('calls no credential for the issuer "missing" (removed, or another tenant)', () => {
    expect(matchFederatedCredential([], identity)).toBe('missing');
    expect(
      matchFederatedCredential([{ ...trusted, issuer: 'https://token.actions.githubusercontent.com' }], identity),
    ).toBe('missing');
  });
});

describe('the federated notice in the digest', () => {
  const leftover = { label: 'ActNow', where: 'app' as const, expiresAt: new Date('2027-03-01T10:00:00Z') };

  it('puts the urgent problem first, naming the fix and the code, then each leftover with its date (Italian by default)', () => {
    const paragraphs = federatedParagraphs(
      { problem: { state: 'refused', errorCode: 'AADSTS70021' }, leftovers: [leftover] },
      { locale: 'it', timeZone: 'Europe/Rome' },
    );
    expect(paragraphs[0]).toContain('(codice AADSTS70021)');
    expect(paragraphs[0]).toContain('npm run setup -- --federated');
    expect(paragraphs[1]).toContain('«ActNow»');
    expect(paragraphs[1]).toContain('1 marzo 2027');
  });

  it('makes the problem the subject over any expiry, and leftovers the subject only when nothing else is said', () => {
    const app = { appId: 'a', tenantId: 't', displayName: 'ActNow' };
    const urgent = renderDigest(
      {
        app,
        timeZone: 'Europe/Rome',
        items: [],
        reconnects: [],
        rotationHistory: [],
        federated: { problem: { state: 'missing' }, leftovers: [] },
      },
      'en',
    );
    expect(urgent.subject).toBe('[keyrelay] ActNow: URGENT: keyrelay cannot authenticate (federated credential)');
    expect(urgent.text).toContain("The app's federated credential no longer exists");
    const tidy = renderDigest(
      {
        app,
        timeZone: 'Europe/Rome',
        items: [],
        reconnects: [],
        rotationHistory: [],
        federated: { leftovers: [leftover, { ...leftover, where: 'key-vault', label: 'oauth-client-secret' }] },
      },
      'en',
    );
    expect(tidy.subject).toBe('[keyrelay] ActNow: 2 client secrets no longer needed');
    expect(tidy.html).toContain('Remove it from Key Vault.');
  });

  it('merges claimed notices: the problem once, every leftover', () => {
    expect(mergeFederatedNotices([])).toBeUndefined();
    expect(
      mergeFederatedNotices([{ problem: { state: 'missing' }, leftovers: [] }, { leftovers: [leftover] }]),
    ).toEqual({ problem: { state: 'missing' }, leftovers: [leftover] });
  });
});
