// Error classification: an MSAL (or network) failure in keyrelay's failure kinds, by whose problem it is
// (domain/entraFailure). Never keeps Entra's free text.
import { AuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { whoseEntraRefusal } from '#src/shared/domain/entraFailure.js';
import { OAuthClientError, type OAuthFailure } from '#src/shared/ports/index.js';
import { DEFAULT_RETRY_AFTER_SECONDS, type RetryingNetworkClient } from './retryingNetworkClient.js';

/**
 * Entra's refusals of a client assertion from a federated credential: the app's own credential, not the
 * request. AADSTS70021 arrives as `invalid_request`, so the code decides, not the OAuth error.
 */
const CLIENT_ASSERTION_REFUSALS = new Set([
  'AADSTS70021',
  'AADSTS700211',
  'AADSTS700212',
  'AADSTS700213',
  'AADSTS7002137',
  'AADSTS7002138',
  'AADSTS700024',
  'AADSTS700027',
]);

const AADSTS_PATTERN = /AADSTS(\d{4,9})/;

/**
 * Maps an MSAL (or network) error to keyrelay's failure kinds by whose problem it is (domain/entraFailure);
 * never keeps Entra's free text. `homeTenant`: the request went to keyrelay's home tenant.
 */
export function classifyOAuthError(
  error: unknown,
  network: Pick<RetryingNetworkClient, 'lastRetryAfterSeconds'> | undefined,
  homeTenant: boolean,
): OAuthFailure {
  if (error instanceof OAuthClientError) return error.failure;
  if (error instanceof AuthError) {
    const aadsts = error.errorMessage.match(AADSTS_PATTERN)?.[1] ?? (error as ServerError).errorNo;
    const errorCode = aadsts ? `AADSTS${aadsts}` : error.errorCode;
    const status = error instanceof ServerError ? error.status : undefined;
    if (error instanceof InteractionRequiredAuthError) return { kind: 'reconnect_required', errorCode };
    // A refused client assertion (federated) is about keyrelay's own credential wherever it was used.
    if (CLIENT_ASSERTION_REFUSALS.has(errorCode)) return { kind: 'invalid_client', errorCode };
    const owner = whoseEntraRefusal({
      error: error.errorCode,
      ...(aadsts ? { aadsts: Number(aadsts) } : {}),
      ...(error.subError ? { suberror: error.subError } : {}),
      ...(status !== undefined ? { status } : {}),
      homeTenant,
    });
    if (owner === 'mailbox') return { kind: 'reconnect_required', errorCode };
    if (owner === 'tenant') return { kind: 'tenant_refused', errorCode };
    // Unconfirmed refusals stay invalid_client here; the client confirms them in the home tenant.
    if (owner === 'keyrelay' || owner === 'client_unconfirmed') return { kind: 'invalid_client', errorCode };
    if (
      status === 429 ||
      (status !== undefined && status >= 500) ||
      error.errorCode === 'temporarily_unavailable' ||
      isNetworkErrorCode(error.errorCode)
    ) {
      return { kind: 'unavailable', retryAfterSeconds: network?.lastRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
    }
    if (network?.lastRetryAfterSeconds !== undefined) {
      return { kind: 'unavailable', retryAfterSeconds: network.lastRetryAfterSeconds };
    }
    return { kind: 'rejected', errorCode };
  }
  return { kind: 'unavailable', retryAfterSeconds: network?.lastRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS };
}

function isNetworkErrorCode(code: string): boolean {
  return (
    code === 'network_error' ||
    code === 'endpoints_resolution_error' ||
    code === 'post_request_failed' ||
    code === 'get_request_failed'
  );
}
