// The published permissions of the Microsoft first-party APIs keyrelay asks for. The ids are the real
// ones (identical in every tenant), so a requiredResourceAccess written against the emulator is
// valid against Entra ID as well.

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const EXCHANGE_ONLINE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';

interface PermissionScope {
  id: string;
  value: string;
  type: 'User' | 'Admin';
  adminConsentDisplayName: string;
}

interface AppRole {
  id: string;
  value: string;
  displayName: string;
}

interface FirstPartyApi {
  appId: string;
  /** Stable fake object id: real ones differ per tenant. */
  id: string;
  displayName: string;
  oauth2PermissionScopes: PermissionScope[];
  appRoles: AppRole[];
}

export const FIRST_PARTY_APIS: readonly FirstPartyApi[] = [
  {
    appId: MICROSOFT_GRAPH_APP_ID,
    id: '5f1d6c1e-7a8b-4b6e-9d3a-000000000003',
    displayName: 'Microsoft Graph',
    oauth2PermissionScopes: [
      {
        id: 'e383f46e-2787-4529-855e-0e479a3ffac0',
        value: 'Mail.Send',
        type: 'User',
        adminConsentDisplayName: 'Send mail as a user',
      },
      {
        id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182',
        value: 'offline_access',
        type: 'User',
        adminConsentDisplayName: 'Maintain access to data you have given it access to',
      },
      {
        id: '37f7f235-527c-4136-accd-4a02d197296e',
        value: 'openid',
        type: 'User',
        adminConsentDisplayName: 'Sign users in',
      },
      {
        id: '14dad69e-099b-42c9-810b-d002981feec1',
        value: 'profile',
        type: 'User',
        adminConsentDisplayName: "View users' basic profile",
      },
    ],
    appRoles: [
      { id: 'b633e1c5-b582-4048-a93e-9f11b44c7e96', value: 'Mail.Send', displayName: 'Send mail as any user' },
      {
        id: '18a4783c-866b-4cc7-a460-3d5e5662c884',
        value: 'Application.ReadWrite.OwnedBy',
        displayName: 'Manage apps that this app creates or owns',
      },
      {
        id: '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
        value: 'Application.ReadWrite.All',
        displayName: 'Read and write all applications',
      },
      {
        id: '246dd0d5-5bd0-4def-940b-0421030a5b68',
        value: 'Policy.Read.All',
        displayName: "Read your organization's policies",
      },
      {
        id: '06b708a9-e830-4db3-a914-8e69da51d44f',
        value: 'AppRoleAssignment.ReadWrite.All',
        displayName: 'Manage app permission grants and app role assignments',
      },
    ],
  },
  {
    appId: EXCHANGE_ONLINE_APP_ID,
    id: '5f1d6c1e-7a8b-4b6e-9d3a-000000000002',
    displayName: 'Office 365 Exchange Online',
    oauth2PermissionScopes: [
      {
        id: '258f6531-6087-4cc4-bb90-092c5fb3ed3f',
        value: 'SMTP.Send',
        type: 'User',
        adminConsentDisplayName: 'Send emails from mailboxes using SMTP AUTH',
      },
    ],
    appRoles: [],
  },
];

/** Graph's servicePrincipal resource for a first-party API. */
export function firstPartyServicePrincipal(api: FirstPartyApi): Record<string, unknown> {
  return {
    id: api.id,
    appId: api.appId,
    displayName: api.displayName,
    servicePrincipalType: 'Application',
    accountEnabled: true,
    appRoles: api.appRoles.map((r) => ({
      allowedMemberTypes: ['Application'],
      description: r.displayName,
      displayName: r.displayName,
      id: r.id,
      isEnabled: true,
      origin: 'Application',
      value: r.value,
    })),
    oauth2PermissionScopes: api.oauth2PermissionScopes.map((s) => ({
      adminConsentDescription: s.adminConsentDisplayName,
      adminConsentDisplayName: s.adminConsentDisplayName,
      id: s.id,
      isEnabled: true,
      type: s.type,
      userConsentDescription: s.adminConsentDisplayName,
      userConsentDisplayName: s.adminConsentDisplayName,
      value: s.value,
    })),
  };
}
