// The app's federated identity credentials (Graph) and what keyrelay's managed identity presents to them.

/** Graph's federatedIdentityCredential (name, issuer, subject, audiences). */
export interface FederatedIdentityCredential {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
  description?: string | null;
}

export interface FederatedCredentialDirectory {
  list(appObjectId: string): Promise<FederatedIdentityCredential[]>;
  add(appObjectId: string, credential: Omit<FederatedIdentityCredential, 'id'>): Promise<FederatedIdentityCredential>;
}

/** Who the identity's assertion says it is: what a federated credential must name to trust it. */
export interface FederatedIdentityClaims {
  issuer: string;
  subject: string;
  audience: string;
}
