// The default demo world: two tenants with a few users each, the keyrelay app registration (home
// tenant contoso, multi-tenant, one client secret) and the workload identities keyrelay and its setup
// command use. Ids are fixed so that docs, tests and demos can name them.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  CloudClock,
  EmulatedApplication,
  EmulatedEnterpriseApp,
  EmulatedServicePrincipal,
  EmulatedTenant,
  LocalCloudContext,
} from './context.js';
import { EXCHANGE_ONLINE_APP_ID, FIRST_PARTY_APIS, MICROSOFT_GRAPH_APP_ID } from './graphCatalog.js';

export const CONTOSO_TENANT_ID = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
export const FABRIKAM_TENANT_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
export const KEYRELAY_APP_ID = '3e9b1f2a-7c4d-4b8e-9f0a-1b2c3d4e5f60';
export const KEYRELAY_APP_OBJECT_ID = 'b7d4e1a2-9c3f-4e5a-8b6c-7d8e9f0a1b2c';
export const KEYRELAY_IDENTITY_CLIENT_ID = '0d5e6f7a-8b9c-4d0e-a1f2-3a4b5c6d7e8f';
/** Directory object (principal) id of keyrelay's identity: owners and role assignments name this, not the client id. */
export const KEYRELAY_IDENTITY_OBJECT_ID = 'e4f5a6b7-1c2d-4e3f-9a0b-5c6d7e8f9a01';
/** Object id of the keyrelay app's service principal in its home tenant (what the portal creates). */
export const KEYRELAY_SERVICE_PRINCIPAL_ID = 'a9b8c7d6-2e3f-4a5b-8c7d-6e5f4a3b2c1d';
export const ADMIN_CLIENT_ID = 'c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8';
export const ADMIN_OBJECT_ID = 'f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SeedOptions {
  /** Web redirect URIs of the keyrelay app (e.g. `${PUBLIC_BASE_URL}/api/oauth/callback`). */
  redirectUris?: string[];
  /** End date of the initial client secret; default: 24 months after its start (the portal's maximum). */
  initialSecretEndDateTime?: Date;
  /** Age of the initial client secret in days (default 30). */
  initialSecretAgeDays?: number;
}

export interface SeededWorld {
  tenants: EmulatedTenant[];
  applications: EmulatedApplication[];
  servicePrincipals: EmulatedServicePrincipal[];
  enterpriseApps: EmulatedEnterpriseApp[];
  /** The keyrelay app's initial client secret: returned here once, stored only as a digest. */
  clientSecret: string;
}

/** Entra-like client secret text: 40 characters with a `~` in it. */
export function newClientSecretText(): string {
  const text = randomBytes(30).toString('base64url').slice(0, 40);
  return `${text.slice(0, 3)}8Q~${text.slice(3, 37)}`;
}

export function seedWorld(clock: CloudClock, options: SeedOptions = {}): SeededWorld {
  const now = clock.now();
  const ageDays = options.initialSecretAgeDays ?? 30;
  const start = new Date(now.getTime() - ageDays * DAY_MS);
  const end = options.initialSecretEndDateTime ?? addMonths(start, 24);
  const clientSecret = newClientSecretText();
  const graph = FIRST_PARTY_APIS.find((api) => api.appId === MICROSOFT_GRAPH_APP_ID);
  const exchange = FIRST_PARTY_APIS.find((api) => api.appId === EXCHANGE_ONLINE_APP_ID);
  const scopeId = (api: typeof graph, value: string): string => {
    const id = api?.oauth2PermissionScopes.find((s) => s.value === value)?.id;
    if (!id) throw new Error(`first-party catalog lacks scope ${value}`);
    return id;
  };

  const tenants: EmulatedTenant[] = [
    {
      id: CONTOSO_TENANT_ID,
      domain: 'contoso.onmicrosoft.com',
      users: [
        {
          oid: '1a2b3c4d-0001-4a5b-8c6d-7e8f9a0b1c2d',
          upn: 'mario.rossi@contoso.onmicrosoft.com',
          displayName: 'Mario Rossi',
        },
        {
          oid: '1a2b3c4d-0002-4a5b-8c6d-7e8f9a0b1c2d',
          upn: 'giulia.bianchi@contoso.onmicrosoft.com',
          displayName: 'Giulia Bianchi',
        },
        {
          oid: '1a2b3c4d-0003-4a5b-8c6d-7e8f9a0b1c2d',
          upn: 'newsletter@contoso.onmicrosoft.com',
          displayName: 'Contoso Newsletter',
        },
      ],
    },
    {
      id: FABRIKAM_TENANT_ID,
      domain: 'fabrikam.onmicrosoft.com',
      users: [
        {
          oid: '2b3c4d5e-0001-4b6c-9d7e-8f9a0b1c2d3e',
          upn: 'anna.verdi@fabrikam.onmicrosoft.com',
          displayName: 'Anna Verdi',
        },
        {
          oid: '2b3c4d5e-0002-4b6c-9d7e-8f9a0b1c2d3e',
          upn: 'marketing@fabrikam.onmicrosoft.com',
          displayName: 'Fabrikam Marketing',
        },
      ],
    },
  ];

  const keyrelayApp: EmulatedApplication = {
    id: KEYRELAY_APP_OBJECT_ID,
    appId: KEYRELAY_APP_ID,
    displayName: 'keyrelay',
    tenantId: CONTOSO_TENANT_ID,
    signInAudience: 'AzureADMultipleOrgs',
    webRedirectUris: options.redirectUris ?? [],
    passwordCredentials: [
      {
        keyId: randomUUID(),
        displayName: 'keyrelay',
        hint: clientSecret.slice(0, 3),
        secretSha256: createHash('sha256').update(clientSecret, 'utf8').digest('hex'),
        startDateTime: start.toISOString(),
        endDateTime: end.toISOString(),
      },
    ],
    keyCredentials: [],
    ownerObjectIds: [KEYRELAY_IDENTITY_OBJECT_ID],
    requiredResourceAccess: [
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccess: ['Mail.Send', 'offline_access', 'openid', 'profile'].map((value) => ({
          id: scopeId(graph, value),
          type: 'Scope' as const,
        })),
      },
      {
        resourceAppId: EXCHANGE_ONLINE_APP_ID,
        resourceAccess: [{ id: scopeId(exchange, 'SMTP.Send'), type: 'Scope' }],
      },
    ],
  };

  const servicePrincipals: EmulatedServicePrincipal[] = [
    {
      clientId: KEYRELAY_IDENTITY_CLIENT_ID,
      objectId: KEYRELAY_IDENTITY_OBJECT_ID,
      tenantId: CONTOSO_TENANT_ID,
      secret: newClientSecretText(),
      // Policy.Read.All: the rotation reads the tenant's cap on password lifetimes before it asks for one.
      graphRoles: ['Application.ReadWrite.OwnedBy', 'Policy.Read.All', 'Mail.Send'],
      keyVaultAccess: true,
    },
    {
      clientId: ADMIN_CLIENT_ID,
      objectId: ADMIN_OBJECT_ID,
      tenantId: CONTOSO_TENANT_ID,
      secret: newClientSecretText(),
      // A Privileged Role Administrator's powers: manage apps and grant app roles.
      graphRoles: ['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All'],
      keyVaultAccess: true,
    },
  ];

  // The portal (and setup) create the app's service principal in its home tenant; other tenants get one by consent.
  const enterpriseApps: EmulatedEnterpriseApp[] = [
    {
      id: KEYRELAY_SERVICE_PRINCIPAL_ID,
      appId: KEYRELAY_APP_ID,
      tenantId: CONTOSO_TENANT_ID,
      displayName: 'keyrelay',
      createdDateTime: start.toISOString(),
    },
  ];

  return { tenants, applications: [keyrelayApp], servicePrincipals, enterpriseApps, clientSecret };
}

/** A fresh shared context holding the seeded world (urls filled once the servers listen). */
export function createContext(clock: CloudClock, world: SeededWorld): LocalCloudContext {
  return {
    clock,
    tenants: world.tenants,
    applications: world.applications,
    servicePrincipals: world.servicePrincipals,
    enterpriseApps: world.enterpriseApps,
    appRoleAssignments: [],
    consents: new Map(),
    faults: [],
    requestLog: [],
    outbox: [],
    urls: { entra: '', graph: '', keyVault: '', control: '' },
  };
}

function addMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  result.setUTCMonth(result.getUTCMonth() + months);
  return result;
}
