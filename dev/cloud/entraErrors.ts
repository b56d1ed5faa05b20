// Entra ID's error shape (v2 endpoints): `error` + `error_description` starting with the AADSTS code,
// `error_codes`, trace ids and, for errors the user can fix by signing in again, a `suberror`
// (MSAL turns those into InteractionRequiredAuthError).
import { randomUUID } from 'node:crypto';
import { documentedEntraError } from './documentedErrors.js';

export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    readonly description: string,
    readonly suberror?: string,
  ) {
    super(`AADSTS${aadsts}: ${description}`);
  }
}

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
}

/** Entra's "2024-01-31 10:11:12Z" timestamp format. */
function entraTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function entraErrorBody(
  error: EntraError,
  at: Date,
  correlationId: string | undefined,
  origin: string,
): EntraErrorBody {
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  const timestamp = entraTimestamp(at);
  return {
    error: error.error,
    error_description: `AADSTS${error.aadsts}: ${error.description} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [error.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `${origin}/error?code=${error.aadsts}`,
    ...(error.suberror ? { suberror: error.suberror } : {}),
  };
}

export const invalidClientSecret = (appId: string): EntraError =>
  new EntraError(
    401,
    'invalid_client',
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
  );

export const expiredClientSecret = (appId: string): EntraError =>
  new EntraError(
    401,
    'invalid_client',
    7000222,
    `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app.`,
  );

export const missingClientSecret = (): EntraError =>
  new EntraError(
    401,
    'invalid_client',
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );

export const unknownClient = (clientId: string, tenant: string): EntraError =>
  documentedEntraError(700016, { appId: clientId, tenant });

export const unknownTenant = (tenant: string): EntraError =>
  new EntraError(
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );

export const consentRequired = (clientId: string, scopes: string[]): EntraError =>
  new EntraError(
    400,
    'invalid_grant',
    65001,
    `The user or administrator has not consented to use the application with ID '${clientId}'. Send an interactive authorization request for this user and resource. Missing: ${scopes.join(' ')}.`,
    'consent_required',
  );

export const invalidRequest = (aadsts: number, description: string): EntraError =>
  new EntraError(400, 'invalid_request', aadsts, description);

export const invalidGrant = (aadsts: number, description: string, suberror?: string): EntraError =>
  new EntraError(400, 'invalid_grant', aadsts, description, suberror);
