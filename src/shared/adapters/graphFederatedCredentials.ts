// The app registration's federated identity credentials through Microsoft Graph
// (`applications/{id}/federatedIdentityCredentials`): the monitor and doctor read them, setup adds the
// managed identity's and removes nothing else. Called with keyrelay's Azure identity or the admin's login.
import type { Client } from '@microsoft/microsoft-graph-client';
import { callGraph } from './graphClient.js';
import type { FederatedCredentialDirectory, FederatedIdentityCredential } from '../ports/index.js';

const path = (appObjectId: string): string =>
  `/applications/${encodeURIComponent(appObjectId)}/federatedIdentityCredentials`;

export function createGraphFederatedCredentialDirectory(client: Client): FederatedCredentialDirectory {
  return {
    async list(appObjectId) {
      const page = await callGraph(
        () => client.api(path(appObjectId)).get() as Promise<{ value?: FederatedIdentityCredential[] }>,
      );
      // Microsoft allows at most 20 per application: one page holds them all.
      return (page.value ?? []).map((c) => ({
        id: c.id,
        name: c.name,
        issuer: c.issuer,
        subject: c.subject,
        audiences: c.audiences ?? [],
        description: c.description ?? null,
      }));
    },
    add(appObjectId, credential) {
      return callGraph(() => client.api(path(appObjectId)).post(credential) as Promise<FederatedIdentityCredential>);
    },
  };
}
