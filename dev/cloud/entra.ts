// Entra ID (v2 endpoints) emulator: discovery, JWKS, an HTML sign-in page at /authorize and the token
// endpoint (authorization_code + PKCE, refresh_token, client_credentials). Client secrets are checked
// against the shared application's passwordCredentials, so a password added or removed through the
// Graph emulator really changes what this endpoint accepts.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import type {
  AccessTokenClaims,
  EmulatedApplication,
  EmulatedServicePrincipal,
  EmulatedTenant,
  EmulatedUser,
  EmulatorHandler,
  InjectedFault,
  LocalCloudContext,
  TokenVerifier,
} from './context.js';
import {
  consentRequired,
  EntraError,
  entraErrorBody,
  expiredClientSecret,
  invalidClientSecret,
  invalidGrant,
  invalidRequest,
  missingClientSecret,
  unknownClient,
  unknownTenant,
} from './entraErrors.js';
import { adminConsent, adminConsentVersion } from './entraAdminConsent.js';
import {
  isTokenExchangeAudience,
  verifyFederatedClientAssertion,
  workloadIdentityObjectId,
} from './entraClientAssertion.js';
import { renderErrorPage, renderSignInPage, SIGN_IN_PAGE_HEADERS } from './entraPage.js';
import {
  ensureEnterpriseApp,
  findEnterpriseApp,
  grantedGraphRoles,
  requireEnterpriseApp,
} from './entraServicePrincipals.js';
import { logRequest, readBody, sendJson, sleep, takeFault } from './http.js';

const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Scopes of OpenID Connect itself: never a resource, never consented separately. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const MULTI_TENANT_ALIASES = new Set(['organizations', 'common']);
const CODE_LIFETIME_MS = 10 * 60 * 1000;
const FLOW_LIFETIME_MS = 15 * 60 * 1000;
const ID_TOKEN_LIFETIME_S = 3600;
/** Entra: a refresh token not used for 90 days stops working (AADSTS700082). */
const REFRESH_TOKEN_MAX_INACTIVE_MS = 90 * 24 * 60 * 60 * 1000;
const SESSION_COOKIE = 'entra_emulator_session';
const PROMPTS = new Set(['login', 'consent', 'select_account', 'none']);

export interface EntraEmulatorOptions {
  /** `expires_in` of access tokens (Entra: 60-90 min; 3600 by default). */
  accessTokenLifetimeSeconds?: number;
}

export interface EntraEmulator {
  handler: EmulatorHandler;
  verifier: TokenVerifier;
}

interface AuthorizeRequest {
  tenantSegment: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  // Absent query parameters stay undefined: Entra treats a missing and an empty parameter alike.
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  loginHint: string | undefined;
}

interface PendingFlow {
  request: AuthorizeRequest;
  createdAt: number;
}

interface IssuedCode {
  request: AuthorizeRequest;
  tenantId: string;
  oid: string;
  issuedAt: number;
  redeemed: boolean;
}

interface IssuedRefreshToken {
  clientId: string;
  tenantId: string;
  oid: string;
  issuedAt: number;
}

interface Session {
  tenantId: string;
  oid: string;
}

interface AuthenticatedClient {
  clientId: string;
  tenantId: string;
  application?: EmulatedApplication;
  servicePrincipal?: EmulatedServicePrincipal;
}

/** What a handler decided; sent at the end so that a `timeout_after` fault can drop it instead. */
type Outcome =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'html'; status: number; html: string; headers?: Record<string, string> }
  | { kind: 'redirect'; location: string; headers?: Record<string, string> };

export async function createEntraEmulator(
  ctx: LocalCloudContext,
  options: EntraEmulatorOptions = {},
): Promise<EntraEmulator> {
  const accessTokenLifetime = options.accessTokenLifetimeSeconds ?? 3600;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(20).toString('base64url');
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256', x5t: kid };
  const verificationKey = await importJWK(publicJwk, 'RS256');

  const flows = new Map<string, PendingFlow>();
  const codes = new Map<string, IssuedCode>();
  const refreshTokens = new Map<string, IssuedRefreshToken>();
  const sessions = new Map<string, Session>();

  const nowMs = (): number => ctx.clock.now().getTime();

  const verifier: TokenVerifier = {
    async verify(token, audience) {
      const { payload } = await jwtVerify(token, verificationKey, {
        algorithms: ['RS256'],
        audience,
        currentDate: ctx.clock.now(),
      });
      if (typeof payload.tid !== 'string' || typeof payload.oid !== 'string' || typeof payload.appid !== 'string') {
        throw new Error('access token lacks tid/oid/appid');
      }
      return payload as unknown as AccessTokenClaims;
    },
  };

  // ---- lookups -------------------------------------------------------------------------------

  function findTenant(segment: string): EmulatedTenant | undefined {
    const wanted = segment.toLowerCase();
    return ctx.tenants.find((t) => t.id.toLowerCase() === wanted || t.domain.toLowerCase() === wanted);
  }

  /** The tenant named in the path, `undefined` for organizations/common; throws for an unknown one. */
  function resolveTenantSegment(segment: string): EmulatedTenant | undefined {
    if (MULTI_TENANT_ALIASES.has(segment.toLowerCase())) return undefined;
    const tenant = findTenant(segment);
    if (!tenant) throw unknownTenant(segment);
    return tenant;
  }

  function findUser(oid: string): { tenant: EmulatedTenant; user: EmulatedUser } | undefined {
    for (const tenant of ctx.tenants) {
      const user = tenant.users.find((u) => u.oid === oid);
      if (user) return { tenant, user };
    }
    return undefined;
  }

  function findApplication(clientId: string): EmulatedApplication | undefined {
    return ctx.applications.find((a) => a.appId === clientId);
  }

  // ---- scopes --------------------------------------------------------------------------------

  /** Full URI form used for consent: bare Graph names (`Mail.Send`) belong to Microsoft Graph. */
  function normalizeScope(scope: string): string {
    if (OIDC_SCOPES.has(scope)) return scope;
    return scope.includes('://') ? scope : `${GRAPH_RESOURCE}/${scope}`;
  }

  function resourceOf(normalizedScope: string): string {
    const slash = normalizedScope.lastIndexOf('/');
    return normalizedScope.slice(0, slash);
  }

  function consentKey(tenantId: string, clientId: string): string {
    return `${tenantId}|${clientId}`;
  }

  /**
   * Resolves the requested scopes to one resource (audience) and the scopes the token carries.
   * Entra issues a token for one resource at a time (AADSTS28000 otherwise) and only for consented scopes.
   */
  function grantedScopes(
    requested: string[],
    tenantId: string,
    clientId: string,
  ): { audience: string; scopes: string[] } {
    const resourceScopes = requested.filter((s) => !OIDC_SCOPES.has(s));
    const consented = ctx.consents.get(consentKey(tenantId, clientId)) ?? new Set<string>();
    if (resourceScopes.length === 0) {
      const graphScopes = [...consented].filter((s) => !OIDC_SCOPES.has(s) && resourceOf(s) === GRAPH_RESOURCE);
      return { audience: GRAPH_RESOURCE, scopes: graphScopes.map((s) => s.slice(GRAPH_RESOURCE.length + 1)) };
    }
    const audiences = new Set(resourceScopes.map((s) => resourceOf(normalizeScope(s))));
    if (audiences.size > 1) {
      throw invalidRequest(
        28000,
        'Provided value for the input parameter scope is not valid because it contains more than one resource.',
      );
    }
    const audience = [...audiences][0]!;
    const defaultScope = resourceScopes.find((s) => s.endsWith('/.default'));
    if (defaultScope) {
      const forResource = [...consented].filter((s) => !OIDC_SCOPES.has(s) && resourceOf(s) === audience);
      if (forResource.length === 0) throw consentRequired(clientId, [defaultScope]);
      return { audience, scopes: forResource };
    }
    const missing = resourceScopes.filter((s) => !consented.has(normalizeScope(s)));
    if (missing.length > 0) throw consentRequired(clientId, missing);
    return { audience, scopes: resourceScopes };
  }

  // ---- tokens --------------------------------------------------------------------------------

  function issuer(origin: string, tenantId: string): string {
    return `${origin}/${tenantId}/v2.0`;
  }

  async function sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
  }

  async function accessToken(claims: Omit<AccessTokenClaims, 'iat' | 'nbf' | 'exp'>): Promise<string> {
    const iat = Math.floor(nowMs() / 1000);
    return sign({
      ...claims,
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
      iat,
      nbf: iat,
      exp: iat + accessTokenLifetime,
    });
  }

  async function delegatedTokenResponse(
    origin: string,
    client: AuthenticatedClient,
    tenantId: string,
    oid: string,
    requestedScopes: string[],
    nonce: string | undefined,
  ): Promise<Record<string, unknown>> {
    const found = findUser(oid);
    if (!found) throw invalidGrant(50034, 'The user account does not exist in the directory.');
    const { user } = found;
    const { audience, scopes } = grantedScopes(requestedScopes, tenantId, client.clientId);
    const iat = Math.floor(nowMs() / 1000);
    const access = await accessToken({
      aud: audience,
      iss: issuer(origin, tenantId),
      tid: tenantId,
      azp: client.clientId,
      appid: client.clientId,
      oid: user.oid,
      sub: pairwiseSubject(user.oid, client.clientId),
      scp: scopes.map((s) => (s.startsWith(`${audience}/`) ? s.slice(audience.length + 1) : s)).join(' '),
      preferred_username: user.upn,
      upn: user.upn,
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: scopes.join(' '),
      expires_in: accessTokenLifetime,
      ext_expires_in: accessTokenLifetime,
      access_token: access,
      client_info: Buffer.from(JSON.stringify({ uid: user.oid, utid: tenantId })).toString('base64url'),
    };
    if (requestedScopes.includes('offline_access')) {
      const refreshToken = `1.A${randomBytes(600).toString('base64url')}`;
      refreshTokens.set(refreshToken, { clientId: client.clientId, tenantId, oid: user.oid, issuedAt: nowMs() });
      body.refresh_token = refreshToken;
    }
    if (requestedScopes.includes('openid')) {
      body.id_token = await sign({
        ver: '2.0',
        iss: issuer(origin, tenantId),
        aud: client.clientId,
        tid: tenantId,
        oid: user.oid,
        sub: pairwiseSubject(user.oid, client.clientId),
        preferred_username: user.upn,
        name: user.displayName,
        ...(nonce !== undefined ? { nonce } : {}),
        iat,
        nbf: iat,
        exp: iat + ID_TOKEN_LIFETIME_S,
        ...takeIdTokenClaimsFault(),
      });
    }
    return body;
  }

  /** Claims of an `id_token_claims` fault (control API), consumed like any fault. */
  function takeIdTokenClaimsFault(): Record<string, unknown> | undefined {
    const index = ctx.faults.findIndex((f) => f.service === 'entra' && f.kind === 'id_token_claims' && f.remaining > 0);
    const fault = ctx.faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) ctx.faults.splice(index, 1);
    return fault.claims;
  }

  // ---- client authentication -----------------------------------------------------------------

  function clientCredentials(
    req: IncomingMessage,
    form: URLSearchParams,
  ): { clientId: string | undefined; secret: string | undefined } {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 §2.3.1: both parts are form-urlencoded inside the Basic header.
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        secret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
    return { clientId: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
  }

  function authenticateClient(req: IncomingMessage, form: URLSearchParams, tenantLabel: string): AuthenticatedClient {
    const { clientId, secret } = clientCredentials(req, form);
    if (!clientId) throw invalidRequest(900144, "The request body must contain the following parameter: 'client_id'.");
    const application = findApplication(clientId);
    if (application) {
      if (!secret) throw missingClientSecret();
      const digest = sha256Hex(secret);
      const credential = application.passwordCredentials.find((p) => safeEqual(p.secretSha256, digest));
      if (!credential) throw invalidClientSecret(clientId);
      // A new secret is refused until it has propagated (newPasswordActivation), as Entra does for minutes.
      if (credential.activatesAt !== undefined && Date.parse(credential.activatesAt) > nowMs())
        throw invalidClientSecret(clientId);
      if (credential.rejectionsLeft) {
        credential.rejectionsLeft -= 1;
        throw invalidClientSecret(clientId);
      }
      if (Date.parse(credential.endDateTime) <= nowMs()) throw expiredClientSecret(clientId);
      return { clientId, tenantId: application.tenantId, application };
    }
    const servicePrincipal = ctx.servicePrincipals.find((s) => s.clientId === clientId);
    if (servicePrincipal) {
      if (!secret) throw missingClientSecret();
      if (!safeEqual(sha256Hex(servicePrincipal.secret), sha256Hex(secret))) throw invalidClientSecret(clientId);
      return { clientId, tenantId: servicePrincipal.tenantId, servicePrincipal };
    }
    throw unknownClient(clientId, tenantLabel);
  }

  /** A federated credential instead of a secret (dev/cloud/entraClientAssertion.ts). */
  async function authenticateByAssertion(form: URLSearchParams, tenantLabel: string): Promise<AuthenticatedClient> {
    const clientId = form.get('client_id') ?? '';
    const application = findApplication(clientId);
    if (!application) throw unknownClient(clientId, tenantLabel);
    await verifyFederatedClientAssertion(application, form, verificationKey, ctx.clock);
    return { clientId, tenantId: application.tenantId, application };
  }

  // ---- routes --------------------------------------------------------------------------------

  function openidConfiguration(origin: string, segment: string): Outcome {
    const tenant = resolveTenantSegment(segment);
    const pathTenant = tenant?.id ?? segment;
    const base = `${origin}/${pathTenant}`;
    return {
      kind: 'json',
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        // Entra: the multi-tenant documents carry the `{tenantid}` template in the issuer.
        issuer: issuer(origin, tenant?.id ?? '{tenantid}'),
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${origin}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: [
          'sub',
          'iss',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'oid',
          'email',
        ],
        code_challenge_methods_supported: ['plain', 'S256'],
        tenant_region_scope: 'EU',
        cloud_instance_name: new URL(origin).host,
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
      },
    };
  }

  function keys(segment: string): Outcome {
    resolveTenantSegment(segment);
    return { kind: 'json', status: 200, body: { keys: [publicJwk] } };
  }

  /** Errors the user must see on the page: Entra never redirects to an unverified redirect URI. */
  function pageError(status: number, error: EntraError): Outcome {
    return {
      kind: 'html',
      status,
      html: renderErrorPage('Sign-in error', `AADSTS${error.aadsts}: ${error.description}`),
    };
  }

  function redirectWith(redirectUri: string, params: Record<string, string | undefined>): Outcome {
    const target = new URL(redirectUri);
    for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
    return { kind: 'redirect', location: target.toString() };
  }

  function redirectError(request: AuthorizeRequest, error: EntraError, origin: string): Outcome {
    const body = entraErrorBody(error, ctx.clock.now(), undefined, origin);
    return redirectWith(request.redirectUri, {
      error: error.error,
      error_description: body.error_description,
      error_uri: body.error_uri,
      ...(error.suberror ? { error_subcode: error.suberror } : {}),
      state: request.state,
    });
  }

  function issueCode(
    request: AuthorizeRequest,
    tenantId: string,
    oid: string,
    origin: string,
    headers?: Record<string, string>,
  ): Outcome {
    const code = `1.A${randomBytes(48).toString('base64url')}`;
    codes.set(code, { request, tenantId, oid, issuedAt: nowMs(), redeemed: false });
    const outcome = redirectWith(request.redirectUri, {
      code,
      state: request.state,
      session_state: randomUUID(),
      iss: issuer(origin, tenantId),
    });
    return headers ? { ...outcome, headers } : outcome;
  }

  function sessionFrom(req: IncomingMessage): Session | undefined {
    const cookie = req.headers.cookie ?? '';
    const match = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`).exec(cookie);
    return match?.[1] ? sessions.get(match[1]) : undefined;
  }

  function authorizeGet(origin: string, segment: string, url: URL, req: IncomingMessage): Outcome {
    let tenant: EmulatedTenant | undefined;
    try {
      tenant = resolveTenantSegment(segment);
    } catch (error) {
      if (error instanceof EntraError) return pageError(400, error);
      throw error;
    }
    const q = url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const application = findApplication(clientId);
    if (!application) return pageError(400, unknownClient(clientId, tenant?.domain ?? segment));
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!application.webRedirectUris.includes(redirectUri)) {
      return pageError(
        400,
        invalidRequest(
          50011,
          `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
        ),
      );
    }
    if (application.signInAudience === 'AzureADMyOrg' && tenant?.id !== application.tenantId) {
      return pageError(
        400,
        invalidRequest(50194, `Application '${clientId}' is not configured as a multi-tenant application.`),
      );
    }
    const method = q.get('code_challenge_method') ?? undefined;
    const request: AuthorizeRequest = {
      tenantSegment: segment,
      clientId,
      redirectUri,
      scopes: (q.get('scope') ?? '').split(' ').filter((s) => s.length > 0),
      state: q.get('state') ?? undefined,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: method === 'S256' ? 'S256' : 'plain',
      loginHint: q.get('login_hint') ?? undefined,
    };
    // From here the redirect URI is registered: errors go back to the client, like Entra.
    if (q.get('response_type') !== 'code') {
      return redirectError(
        request,
        new EntraError(400, 'unsupported_response_type', 700054, "The response_type must be 'code' for this app."),
        origin,
      );
    }
    const responseMode = q.get('response_mode');
    if (responseMode !== null && responseMode !== 'query') {
      return redirectError(
        request,
        invalidRequest(900144, `response_mode '${responseMode}' is not supported by the local emulator; use 'query'.`),
        origin,
      );
    }
    if (request.scopes.length === 0)
      return redirectError(
        request,
        invalidRequest(900144, "The request body must contain the following parameter: 'scope'."),
        origin,
      );
    if (method !== undefined && method !== 'S256') {
      return redirectError(
        request,
        invalidRequest(
          501491,
          `Invalid code_challenge_method '${method}': this emulator requires S256 when a method is given.`,
        ),
        origin,
      );
    }
    if (request.codeChallenge !== undefined && !/^[A-Za-z0-9_-]{43,128}$/.test(request.codeChallenge)) {
      return redirectError(request, invalidRequest(501491, 'Invalid size of Code_Challenge parameter.'), origin);
    }
    const prompt = q.get('prompt');
    if (prompt !== null && !PROMPTS.has(prompt)) {
      return redirectError(request, invalidRequest(90023, `Invalid prompt value '${prompt}'.`), origin);
    }
    if (prompt === 'none') {
      const session = sessionFrom(req);
      if (!session || (tenant && tenant.id !== session.tenantId)) {
        return redirectError(
          request,
          new EntraError(400, 'login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'),
          origin,
        );
      }
      const consented = ctx.consents.get(consentKey(session.tenantId, clientId)) ?? new Set<string>();
      const missing = request.scopes.filter((s) => !OIDC_SCOPES.has(s) && !consented.has(normalizeScope(s)));
      if (missing.length > 0) {
        return redirectError(
          request,
          new EntraError(400, 'consent_required', 65001, `The user has not consented to: ${missing.join(' ')}.`),
          origin,
        );
      }
      return issueCode(request, session.tenantId, session.oid, origin);
    }
    sweepExpired();
    const flowId = randomBytes(24).toString('base64url');
    flows.set(flowId, { request, createdAt: nowMs() });
    return signInPage(origin, flowId, request, application);
  }

  function signInPage(
    origin: string,
    flowId: string,
    request: AuthorizeRequest,
    application: EmulatedApplication,
    problem?: string,
  ): Outcome {
    const pathTenant = MULTI_TENANT_ALIASES.has(request.tenantSegment.toLowerCase())
      ? undefined
      : findTenant(request.tenantSegment);
    const tenants = pathTenant ? [pathTenant] : ctx.tenants;
    const hint = request.loginHint?.toLowerCase();
    const preselected = hint ? tenants.flatMap((t) => t.users).find((u) => u.upn.toLowerCase() === hint) : undefined;
    return {
      kind: 'html',
      status: 200,
      headers: SIGN_IN_PAGE_HEADERS,
      html: renderSignInPage({
        formAction: `${origin}/${request.tenantSegment}/oauth2/v2.0/authorize`,
        flowId,
        appName: application.displayName,
        tenants,
        ...(preselected ? { preselectedOid: preselected.oid } : {}),
        scopes: request.scopes.map(normalizeScope),
        ...(problem ? { problem } : {}),
      }),
    };
  }

  async function authorizePost(origin: string, req: IncomingMessage): Promise<Outcome> {
    const form = new URLSearchParams(await readBody(req));
    const flowId = form.get('flow') ?? '';
    const flow = flows.get(flowId);
    if (!flow || nowMs() - flow.createdAt > FLOW_LIFETIME_MS) {
      return pageError(
        400,
        invalidRequest(50132, 'The sign-in session has expired or is unknown. Start the sign-in again.'),
      );
    }
    const { request } = flow;
    const application = findApplication(request.clientId);
    if (!application) return pageError(400, unknownClient(request.clientId, request.tenantSegment));
    if (form.get('action') === 'cancel') {
      flows.delete(flowId);
      return redirectError(
        request,
        new EntraError(400, 'access_denied', 65004, 'User declined to consent to access the app.'),
        origin,
      );
    }
    const found = findUser(form.get('user') ?? '');
    const pathTenant = MULTI_TENANT_ALIASES.has(request.tenantSegment.toLowerCase())
      ? undefined
      : findTenant(request.tenantSegment);
    if (!found || (pathTenant && pathTenant.id !== found.tenant.id)) {
      return signInPage(origin, flowId, request, application, 'Pick an account to continue.');
    }
    if (application.signInAudience === 'AzureADMyOrg' && found.tenant.id !== application.tenantId) {
      flows.delete(flowId);
      return pageError(
        400,
        invalidRequest(50020, `User account '${found.user.upn}' does not exist in tenant '${application.tenantId}'.`),
      );
    }
    const key = consentKey(found.tenant.id, request.clientId);
    const consented = ctx.consents.get(key) ?? new Set<string>();
    const missing = request.scopes.filter(
      (s) => !OIDC_SCOPES.has(s) && !s.endsWith('/.default') && !consented.has(normalizeScope(s)),
    );
    if (missing.length > 0 && form.get('consent') !== 'yes') {
      return signInPage(origin, flowId, request, application, 'Accept the requested permissions to continue.');
    }
    if (form.get('consent') === 'yes') {
      for (const scope of request.scopes)
        if (!OIDC_SCOPES.has(scope) && !scope.endsWith('/.default')) consented.add(normalizeScope(scope));
      ctx.consents.set(key, consented);
      // Consent creates the app's service principal in the user's tenant, as in Entra.
      ensureEnterpriseApp(ctx, application, found.tenant.id);
    }
    flows.delete(flowId);
    const sessionId = randomBytes(24).toString('base64url');
    sessions.set(sessionId, { tenantId: found.tenant.id, oid: found.user.oid });
    return issueCode(request, found.tenant.id, found.user.oid, origin, {
      'set-cookie': `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; Secure; SameSite=None`,
    });
  }

  async function token(origin: string, segment: string, req: IncomingMessage, form: URLSearchParams): Promise<Outcome> {
    const pathTenant = resolveTenantSegment(segment);
    const grantType = form.get('grant_type');
    const client = form.has('client_assertion')
      ? await authenticateByAssertion(form, pathTenant?.domain ?? segment)
      : authenticateClient(req, form, pathTenant?.domain ?? segment);
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    switch (grantType) {
      case 'authorization_code':
        return { kind: 'json', status: 200, body: await redeemCode(origin, pathTenant, client, form, scopes) };
      case 'refresh_token':
        return { kind: 'json', status: 200, body: await redeemRefreshToken(origin, pathTenant, client, form, scopes) };
      case 'client_credentials':
        return {
          kind: 'json',
          status: 200,
          body: await clientCredentialsToken(origin, pathTenant, segment, client, scopes),
        };
      default:
        throw new EntraError(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${grantType ?? ''}'.`,
        );
    }
  }

  async function redeemCode(
    origin: string,
    pathTenant: EmulatedTenant | undefined,
    client: AuthenticatedClient,
    form: URLSearchParams,
    scopes: string[],
  ): Promise<Record<string, unknown>> {
    const issued = codes.get(form.get('code') ?? '');
    if (!issued || issued.request.clientId !== client.clientId) {
      throw invalidGrant(70000, 'The provided authorization code is invalid or was issued to another client.');
    }
    if (issued.redeemed)
      throw invalidGrant(
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    issued.redeemed = true;
    if (nowMs() - issued.issuedAt > CODE_LIFETIME_MS) {
      throw invalidGrant(
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    if (pathTenant && pathTenant.id !== issued.tenantId)
      throw invalidGrant(70000, 'The authorization code was issued in another tenant.');
    requireEnterpriseApp(ctx, client.application, issued.tenantId, pathTenant?.domain ?? issued.tenantId);
    if (form.get('redirect_uri') !== issued.request.redirectUri) {
      throw invalidGrant(
        500112,
        'The reply address does not match the reply address provided when requesting the authorization code.',
      );
    }
    const challenge = issued.request.codeChallenge;
    if (challenge !== undefined) {
      const verifier = form.get('code_verifier') ?? '';
      const computed =
        issued.request.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (!safeEqual(computed, challenge)) {
        throw invalidGrant(
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    const requested = scopes.length > 0 ? scopes : issued.request.scopes;
    return delegatedTokenResponse(origin, client, issued.tenantId, issued.oid, requested, issued.request.nonce);
  }

  async function redeemRefreshToken(
    origin: string,
    pathTenant: EmulatedTenant | undefined,
    client: AuthenticatedClient,
    form: URLSearchParams,
    scopes: string[],
  ): Promise<Record<string, unknown>> {
    const stored = refreshTokens.get(form.get('refresh_token') ?? '');
    if (!stored) throw invalidGrant(9002313, 'Invalid request. Request is malformed or invalid.');
    if (stored.clientId !== client.clientId)
      throw invalidGrant(70000, 'The refresh token was issued to a different client.');
    if (pathTenant && pathTenant.id !== stored.tenantId)
      throw invalidGrant(70000, 'The refresh token was issued in another tenant.');
    requireEnterpriseApp(ctx, client.application, stored.tenantId, pathTenant?.domain ?? stored.tenantId);
    const found = findUser(stored.oid);
    if (!found) throw invalidGrant(50034, 'The user account does not exist in the directory.');
    if (found.user.revokedAt && found.user.revokedAt.getTime() >= stored.issuedAt) {
      throw invalidGrant(
        50173,
        `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(stored.issuedAt).toISOString()}' and the TokensValidFrom date is '${found.user.revokedAt.toISOString()}'.`,
        'bad_token',
      );
    }
    if (nowMs() - stored.issuedAt > REFRESH_TOKEN_MAX_INACTIVE_MS) {
      throw invalidGrant(
        700082,
        `The refresh token has expired due to inactivity. The token was issued on ${new Date(stored.issuedAt).toISOString()} and was inactive for 90.00:00:00.`,
        'bad_token',
      );
    }
    // Entra: the redeemed refresh token stays valid; the response carries a new one.
    return delegatedTokenResponse(
      origin,
      client,
      stored.tenantId,
      stored.oid,
      scopes.length > 0 ? scopes : ['openid', 'offline_access'],
      undefined,
    );
  }

  async function clientCredentialsToken(
    origin: string,
    pathTenant: EmulatedTenant | undefined,
    segment: string,
    client: AuthenticatedClient,
    scopes: string[],
  ): Promise<Record<string, unknown>> {
    if (!pathTenant)
      throw invalidRequest(90133, `The client credentials flow needs a tenant: '${segment}' is not one.`);
    if (pathTenant.id !== client.tenantId) throw unknownClient(client.clientId, pathTenant.domain);
    requireEnterpriseApp(ctx, client.application, pathTenant.id, pathTenant.domain);
    const scope = scopes[0];
    if (scopes.length !== 1 || scope === undefined || !scope.endsWith('/.default')) {
      throw new EntraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const audience = scope.slice(0, -'/.default'.length);
    const roles = audience === GRAPH_RESOURCE ? grantedGraphRoles(ctx, client, pathTenant.id) : [];
    const access = await accessToken({
      aud: audience,
      iss: issuer(origin, pathTenant.id),
      tid: pathTenant.id,
      azp: client.clientId,
      appid: client.clientId,
      // Entra: an app-only token's oid is the caller's service principal object id in that tenant; a managed
      // identity's token for the exchange audience also names it by object id in sub (a federated credential's subject).
      oid:
        client.servicePrincipal?.objectId ??
        findEnterpriseApp(ctx, client.clientId, pathTenant.id)?.id ??
        client.clientId,
      sub:
        client.servicePrincipal && isTokenExchangeAudience(audience)
          ? workloadIdentityObjectId(client.servicePrincipal)
          : client.clientId,
      ...(roles.length > 0 ? { roles } : {}),
    });
    return {
      token_type: 'Bearer',
      expires_in: accessTokenLifetime,
      ext_expires_in: accessTokenLifetime,
      access_token: access,
    };
  }

  function sweepExpired(): void {
    const now = nowMs();
    for (const [id, flow] of flows) if (now - flow.createdAt > FLOW_LIFETIME_MS) flows.delete(id);
    for (const [code, issued] of codes) if (now - issued.issuedAt > 2 * CODE_LIFETIME_MS) codes.delete(code);
  }

  // ---- dispatch ------------------------------------------------------------------------------

  async function route(
    req: IncomingMessage,
    url: URL,
    origin: string,
  ): Promise<{ routeKey: string; outcome: () => Outcome | Promise<Outcome>; isPage: boolean }> {
    const parts = url.pathname.split('/').filter((p) => p.length > 0);
    const segment = decodeURIComponent(parts[0] ?? '');
    const rest = parts.slice(1).join('/');
    const method = req.method ?? 'GET';
    if (rest === 'v2.0/.well-known/openid-configuration' && method === 'GET') {
      return { routeKey: 'openid-configuration', isPage: false, outcome: () => openidConfiguration(origin, segment) };
    }
    if (rest === 'discovery/v2.0/keys' && method === 'GET')
      return { routeKey: 'keys', isPage: false, outcome: () => keys(segment) };
    if (rest === 'oauth2/v2.0/authorize' && method === 'GET') {
      return { routeKey: 'authorize', isPage: true, outcome: () => authorizeGet(origin, segment, url, req) };
    }
    if (rest === 'oauth2/v2.0/authorize' && method === 'POST')
      return { routeKey: 'authorize', isPage: true, outcome: () => authorizePost(origin, req) };
    const consentVersion = adminConsentVersion(rest);
    if (consentVersion) {
      const form = method === 'POST' ? new URLSearchParams(await readBody(req)) : undefined;
      return {
        routeKey: 'adminconsent',
        isPage: true,
        outcome: () =>
          adminConsent(ctx, {
            version: consentVersion,
            method,
            url,
            tenantSegment: segment,
            ...(form ? { form } : {}),
          }),
      };
    }
    if (rest === 'oauth2/v2.0/token') {
      if (method !== 'POST') {
        return {
          routeKey: 'token',
          isPage: false,
          outcome: () => {
            throw invalidRequest(900561, 'The endpoint only accepts POST requests.');
          },
        };
      }
      const form = new URLSearchParams(await readBody(req));
      const grant = form.get('grant_type') ?? 'unknown';
      return { routeKey: `token.${grant}`, isPage: false, outcome: () => token(origin, segment, req, form) };
    }
    return {
      routeKey: 'unknown',
      isPage: false,
      outcome: () => ({
        kind: 'json',
        status: 404,
        body: { error: 'not_found', error_description: `No Entra endpoint at ${url.pathname}.` },
      }),
    };
  }

  function takeEntraFault(routeKey: string): InjectedFault | undefined {
    if (routeKey.startsWith('token.')) return takeFault(ctx, 'entra', 'token') ?? takeFault(ctx, 'entra', routeKey);
    return takeFault(ctx, 'entra', routeKey);
  }

  function faultOutcome(
    fault: InjectedFault,
    isPage: boolean,
    origin: string,
    correlationId: string | undefined,
  ): Outcome | undefined {
    let error: EntraError;
    const headers: Record<string, string> = {};
    if (fault.kind === 'status') {
      const status = fault.status ?? 503;
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      error =
        status === 429
          ? new EntraError(
              429,
              'temporarily_unavailable',
              90055,
              'TenantThrottlingError: There are too many incoming requests. This exception is thrown for blocked tenants.',
            )
          : new EntraError(
              status,
              'temporarily_unavailable',
              90033,
              'A transient error has occurred. Please try again.',
            );
    } else if (fault.kind === 'invalid_grant') {
      error = invalidGrant(
        fault.aadsts ?? 70000,
        'Injected invalid_grant: the grant is invalid or was revoked.',
        fault.suberror,
      );
    } else if (fault.kind === 'invalid_client') {
      error = new EntraError(
        401,
        'invalid_client',
        fault.aadsts ?? 7000215,
        'Injected invalid_client: invalid client secret provided.',
      );
    } else {
      return undefined;
    }
    if (isPage)
      return {
        kind: 'html',
        status: error.status,
        html: renderErrorPage('Sign-in error', `AADSTS${error.aadsts}: ${error.description}`),
        headers,
      };
    return {
      kind: 'json',
      status: error.status,
      body: entraErrorBody(error, ctx.clock.now(), correlationId, origin),
      headers,
    };
  }

  const handler: EmulatorHandler = async (req, res, url) => {
    const origin = requestOrigin(req, ctx.urls.entra);
    const correlationId = headerValue(req, 'client-request-id');
    const { routeKey, outcome, isPage } = await route(req, url, origin);
    const fault = takeEntraFault(routeKey);
    if (fault?.kind !== 'timeout_after') logRequest(ctx, 'entra', routeKey, req, res);
    if ((fault?.kind === 'latency' || fault?.kind === 'timeout_after') && fault.latencyMs) await sleep(fault.latencyMs);
    let result = fault ? faultOutcome(fault, isPage, origin, correlationId) : undefined;
    if (!result) {
      try {
        result = await outcome();
      } catch (error) {
        if (!(error instanceof EntraError)) throw error;
        result = isPage
          ? pageError(error.status, error)
          : { kind: 'json', status: error.status, body: entraErrorBody(error, ctx.clock.now(), correlationId, origin) };
      }
    }
    if (fault?.kind === 'timeout_after') {
      // The request took effect (a code is spent, a token minted); the caller never hears back.
      ctx.requestLog.push({
        at: ctx.clock.now().toISOString(),
        service: 'entra',
        route: routeKey,
        method: req.method ?? 'GET',
        status: 0,
      });
      req.socket.destroy();
      return;
    }
    send(res, result, correlationId);
  };

  return { handler, verifier };
}

function send(res: ServerResponse, outcome: Outcome, correlationId: string | undefined): void {
  const common: Record<string, string> = {
    'cache-control': 'no-store',
    ...(correlationId ? { 'client-request-id': correlationId } : {}),
  };
  if (outcome.kind === 'json') {
    sendJson(res, outcome.status, outcome.body, { ...common, ...outcome.headers });
  } else if (outcome.kind === 'html') {
    res.writeHead(outcome.status, { ...SIGN_IN_PAGE_HEADERS, ...common, ...outcome.headers });
    res.end(outcome.html);
  } else {
    res.writeHead(302, { ...common, location: outcome.location, ...outcome.headers });
    res.end();
  }
}

function requestOrigin(req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host ? `https://${host}` : fallback;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Entra's `sub` is pairwise: stable per user and app, different across apps. */
function pairwiseSubject(oid: string, clientId: string): string {
  return createHash('sha256').update(`${oid}|${clientId}`).digest('base64url').slice(0, 43);
}
