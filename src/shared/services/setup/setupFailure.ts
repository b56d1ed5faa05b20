// Turns whatever a setup step threw into a SetupFailure: a stable code the CLI renders as "what is
// wrong" + "how to fix it". Only status codes and Graph error codes are read, never an SDK message
// (which may echo a request).
import {
  azureLoginMissing,
  GraphRequestError,
  StoreRequestError,
  StoreUnavailableError,
} from '#src/shared/ports/index.js';
import type { MessageParams, SetupFailureCode } from './setupMessages.js';

export class SetupFailure extends Error {
  override name = 'SetupFailure';

  constructor(
    readonly code: SetupFailureCode,
    readonly params: MessageParams,
    options?: { cause?: unknown },
  ) {
    super(`setup failed: ${code}`, options);
  }
}

export function setupFailureOf(error: unknown, step: string): SetupFailure {
  if (error instanceof SetupFailure) return error;
  const noLogin = azureLoginMissing(error);
  if (noLogin) return new SetupFailure('azure_login_missing', { tried: noLogin.tried.join(',') }, { cause: error });
  if (error instanceof GraphRequestError) {
    const { status, code } = error.failure;
    if (code === 'CredentialInvalidLifetimeAsPerAppPolicy')
      return new SetupFailure('secret_lifetime_policy', {}, { cause: error });
    if (code === 'CredentialTypeNotAllowedAsPerAppPolicy')
      return new SetupFailure('secret_type_policy', {}, { cause: error });
    if (status === 401) return new SetupFailure('azure_login_missing', {}, { cause: error });
    if (status === 403)
      return new SetupFailure(
        step === 'add owner' ? 'graph_denied_add_owner' : 'graph_denied_manage_apps',
        {},
        { cause: error },
      );
    if (status === 0 || status === 429 || status >= 500) {
      return new SetupFailure(
        'service_unavailable',
        { service: 'Microsoft Graph', detail: status === 0 ? 'no answer' : `HTTP ${status}` },
        { cause: error },
      );
    }
    return new SetupFailure('unexpected', { step: `${step} (Microsoft Graph ${status} ${code})` }, { cause: error });
  }
  if (error instanceof StoreRequestError) {
    if (error.statusCode === 401) return new SetupFailure('azure_login_missing', {}, { cause: error });
    if (error.statusCode === 403) return new SetupFailure('key_vault_denied', {}, { cause: error });
    return new SetupFailure('unexpected', { step: `${step} (Key Vault ${error.statusCode})` }, { cause: error });
  }
  if (error instanceof StoreUnavailableError) {
    return new SetupFailure(
      'service_unavailable',
      { service: 'Key Vault', detail: error.statusCode === undefined ? 'no answer' : `HTTP ${error.statusCode}` },
      { cause: error },
    );
  }
  return new SetupFailure('unexpected', { step }, { cause: error });
}
