// The admin-consent endpoints of the Entra emulator. A tenant admin grants the app's permissions for
// every user of the tenant at once; the app gets its service principal there and the consent is
// recorded, so the tenant's users then sign in without a consent prompt.
// - v1 `/{tenant}/adminconsent?client_id&redirect_uri&state`: the permissions the registration requests
//   (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent, "static" permissions);
// - v2 `/{tenant}/v2.0/adminconsent?client_id&scope&redirect_uri&state`: the scopes named in `scope`.
// Both answer `redirect_uri?admin_consent=True&tenant=<id>&state=…` (v2 adds `scope`), or
// `error=access_denied` when the admin declines.
import type { EmulatedApplication, EmulatedTenant, LocalCloudContext } from './context.js';
import { documentedEntraError } from './documentedErrors.js';
import { invalidRequest, type EntraError } from './entraErrors.js';
import { escapeHtml } from '#src/shared/presentation/html.js';
import { renderErrorPage, SIGN_IN_PAGE_HEADERS } from './entraPage.js';
import { ensureEnterpriseApp } from './entraServicePrincipals.js';
import { EXCHANGE_ONLINE_APP_ID, FIRST_PARTY_APIS, MICROSOFT_GRAPH_APP_ID } from './graphCatalog.js';

/** Resource URI of each first-party API, as scopes name it. */
const RESOURCE_URIS: Readonly<Record<string, string>> = {
  [MICROSOFT_GRAPH_APP_ID]: 'https://graph.microsoft.com',
  [EXCHANGE_ONLINE_APP_ID]: 'https://outlook.office.com',
};
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export type AdminConsentOutcome =
  | { kind: 'html'; status: number; html: string; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string };

export interface AdminConsentRequest {
  version: 'v1' | 'v2';
  method: string;
  /** The URL the admin opened (the form posts back to it). */
  url: URL;
  tenantSegment: string;
  /** Body of the POST (the admin's answer). */
  form?: URLSearchParams;
}

/** `adminconsent` (v1) or `v2.0/adminconsent` (v2) after the tenant segment; undefined for any other path. */
export function adminConsentVersion(rest: string): 'v1' | 'v2' | undefined {
  if (rest === 'adminconsent') return 'v1';
  if (rest === 'v2.0/adminconsent') return 'v2';
  return undefined;
}

function page(status: number, html: string): AdminConsentOutcome {
  return { kind: 'html', status, html, headers: SIGN_IN_PAGE_HEADERS };
}

function errorPage(error: EntraError): AdminConsentOutcome {
  return page(400, renderErrorPage('Admin consent error', `AADSTS${error.aadsts}: ${error.description}`));
}

function redirect(redirectUri: string, params: Record<string, string | undefined>): AdminConsentOutcome {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
  return { kind: 'redirect', location: target.toString() };
}

/** The permissions the registration requests, as full scope URIs (v1 grants exactly these). */
function requestedScopes(app: EmulatedApplication): string[] {
  return app.requiredResourceAccess.flatMap((entry) => {
    const api = FIRST_PARTY_APIS.find((candidate) => candidate.appId === entry.resourceAppId);
    const resource = RESOURCE_URIS[entry.resourceAppId];
    return entry.resourceAccess
      .filter((access) => access.type === 'Scope')
      .map((access) => api?.oauth2PermissionScopes.find((scope) => scope.id === access.id)?.value)
      .filter((value): value is string => value !== undefined && !OIDC_SCOPES.has(value))
      .map((value) => `${resource ?? entry.resourceAppId}/${value}`);
  });
}

function consentPage(
  request: AdminConsentRequest,
  app: EmulatedApplication,
  tenants: EmulatedTenant[],
  scopes: string[],
): AdminConsentOutcome {
  const choices = tenants
    .map(
      (tenant, index) =>
        `<label><input type="radio" name="tenant" value="${escapeHtml(tenant.id)}"${index === 0 ? ' checked' : ''}> ${escapeHtml(tenant.domain)}</label>`,
    )
    .join('');
  return page(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Admin consent</title></head><body><h1>Local Entra ID: admin consent</h1>
<p>${escapeHtml(app.displayName)} asks for these permissions for every user of the organisation:</p>
<ul class="scopes">${scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(request.url.toString())}"><fieldset><legend>Organisation</legend>${choices}</fieldset>
<button name="action" value="accept">Accept</button><button name="action" value="cancel">Cancel</button></form></body></html>`,
  );
}

export function adminConsent(ctx: LocalCloudContext, request: AdminConsentRequest): AdminConsentOutcome {
  const q = request.url.searchParams;
  const clientId = q.get('client_id') ?? '';
  const app = ctx.applications.find((candidate) => candidate.appId === clientId);
  const segment = request.tenantSegment.toLowerCase();
  const multiTenant = segment === 'common' || segment === 'organizations';
  const tenants = multiTenant
    ? ctx.tenants
    : ctx.tenants.filter((t) => t.id.toLowerCase() === segment || t.domain.toLowerCase() === segment);
  if (tenants.length === 0) return errorPage(invalidRequest(90002, `Tenant '${request.tenantSegment}' not found.`));
  if (!app) return errorPage(documentedEntraError(700016, { appId: clientId, tenant: request.tenantSegment }));
  const redirectUri = q.get('redirect_uri') ?? app.webRedirectUris[0] ?? '';
  if (!app.webRedirectUris.includes(redirectUri)) {
    return errorPage(
      invalidRequest(
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
      ),
    );
  }
  const state = q.get('state') ?? undefined;
  const scopeParameter = q.get('scope') ?? undefined;
  if (request.version === 'v2' && scopeParameter === undefined) {
    return redirect(redirectUri, {
      error: 'invalid_request',
      error_description: "AADSTS900144: The request body must contain the following parameter: 'scope'.",
      state,
    });
  }
  const scopes =
    request.version === 'v2'
      ? (scopeParameter ?? '')
          .split(' ')
          .filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope) && !scope.endsWith('/.default'))
      : requestedScopes(app);
  if (request.method !== 'POST' || !request.form) return consentPage(request, app, tenants, scopes);

  if (request.form.get('action') !== 'accept') {
    return redirect(redirectUri, {
      error: 'access_denied',
      error_description: 'AADSTS65004: User declined to consent to access the app.',
      admin_consent: 'False',
      state,
    });
  }
  const tenant = tenants.find((candidate) => candidate.id === request.form?.get('tenant'));
  if (!tenant) return consentPage(request, app, tenants, scopes);
  const key = `${tenant.id}|${app.appId}`;
  const consented = ctx.consents.get(key) ?? new Set<string>();
  for (const scope of scopes) consented.add(scope.includes('://') ? scope : `https://graph.microsoft.com/${scope}`);
  ctx.consents.set(key, consented);
  ensureEnterpriseApp(ctx, app, tenant.id);
  return redirect(redirectUri, {
    admin_consent: 'True',
    tenant: tenant.id,
    ...(request.version === 'v2' ? { scope: scopeParameter } : {}),
    state,
  });
}
