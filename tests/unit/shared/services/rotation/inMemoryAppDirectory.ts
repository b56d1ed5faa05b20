// An app registration in memory with Graph's rules for addPassword/removePassword (policy errors, 404 on
// an unknown keyId) and a verifier that accepts exactly the app's current secrets, so the rotation
// service's unit tests can check that the secret in Key Vault authenticates. A new secret can be made
// to fail its first attempts, as Entra does while it propagates.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AddedPassword,
  type AppPasswordCredential,
  type AppRegistration,
  type AppRegistrationDirectory,
  GraphRequestError,
  type OAuthFailure,
} from '#src/shared/ports/index.js';
import type { AppManagementPolicies } from '#src/shared/domain/monitor/passwordPolicy.js';
import type { SecretVerifier } from '#src/shared/services/rotation/rotationService.js';

interface StoredPassword extends AppPasswordCredential {
  secretText: string;
  rejectionsLeft: number;
}

type Operation = 'getApplication' | 'addPassword' | 'removePassword' | 'getAppManagementPolicies';

export class InMemoryAppDirectory implements AppRegistrationDirectory, SecretVerifier {
  readonly objectId = randomUUID();
  private passwords: StoredPassword[] = [];
  private readonly failures: { operation: Operation; error: Error }[] = [];
  /** Verification attempts each new password fails before Entra accepts it. */
  newPasswordRejections = 0;
  readonly calls: Record<Operation | 'verify', number> = {
    getApplication: 0,
    addPassword: 0,
    removePassword: 0,
    getAppManagementPolicies: 0,
    verify: 0,
  };
  /** What Graph's policy endpoints answer (no policy by default). */
  policies: AppManagementPolicies = { appPolicies: [] };

  constructor(readonly appId: string) {}

  /** Adds a password as the portal would; returns its secret text. */
  seedPassword(
    displayName: string,
    endDateTime: Date,
    secretText = randomBytes(24).toString('base64url'),
  ): { keyId: string; secretText: string } {
    const keyId = randomUUID();
    this.passwords.push({
      keyId,
      displayName,
      hint: secretText.slice(0, 3),
      startDateTime: null,
      endDateTime: endDateTime.toISOString(),
      secretText,
      rejectionsLeft: 0,
    });
    return { keyId, secretText };
  }

  failNext(operation: Operation, error: Error): void {
    this.failures.push({ operation, error });
  }

  keyIds(): string[] {
    return this.passwords.map((password) => password.keyId);
  }

  passwordsNamed(prefix: string): AppPasswordCredential[] {
    return this.passwords.filter((password) => password.displayName?.startsWith(prefix)).map(publicView);
  }

  async getApplication(appId: string): Promise<AppRegistration> {
    await Promise.resolve();
    this.enter('getApplication');
    if (appId !== this.appId) throw graphError(404, 'Request_ResourceNotFound');
    return {
      id: this.objectId,
      appId,
      displayName: 'keyrelay',
      passwordCredentials: this.passwords.map(publicView),
      keyCredentials: [],
    };
  }

  async addPassword(objectId: string, request: { displayName: string; endDateTime: string }): Promise<AddedPassword> {
    await Promise.resolve();
    this.enter('addPassword');
    if (objectId !== this.objectId) throw graphError(404, 'Request_ResourceNotFound');
    const secretText = `${randomBytes(2).toString('hex')}~${randomBytes(24).toString('base64url')}`;
    const password: StoredPassword = {
      keyId: randomUUID(),
      displayName: request.displayName,
      hint: secretText.slice(0, 3),
      startDateTime: null,
      endDateTime: request.endDateTime,
      secretText,
      rejectionsLeft: this.newPasswordRejections,
    };
    this.passwords.push(password);
    return { keyId: password.keyId, secretText, hint: password.hint, endDateTime: password.endDateTime };
  }

  async removePassword(objectId: string, keyId: string): Promise<'removed' | 'not_found'> {
    await Promise.resolve();
    this.enter('removePassword');
    if (objectId !== this.objectId) throw graphError(404, 'Request_ResourceNotFound');
    const before = this.passwords.length;
    this.passwords = this.passwords.filter((password) => password.keyId !== keyId);
    return this.passwords.length < before ? 'removed' : 'not_found';
  }

  async getAppManagementPolicies(objectId: string): Promise<AppManagementPolicies> {
    await Promise.resolve();
    this.enter('getAppManagementPolicies');
    if (objectId !== this.objectId) throw graphError(404, 'Request_ResourceNotFound');
    return this.policies;
  }

  verifyClientSecret(clientSecret: string): Promise<{ ok: true } | { ok: false; failure: OAuthFailure }> {
    this.calls.verify += 1;
    const password = this.passwords.find((candidate) => candidate.secretText === clientSecret);
    if (password && password.rejectionsLeft > 0) password.rejectionsLeft -= 1;
    else if (password) return Promise.resolve({ ok: true });
    return Promise.resolve({ ok: false, failure: { kind: 'invalid_client', errorCode: 'AADSTS7000215' } });
  }

  /** What Entra would answer for this secret right now, without counting as an attempt. */
  authenticates(clientSecret: string): boolean {
    return this.passwords.some((password) => password.secretText === clientSecret && password.rejectionsLeft === 0);
  }

  private enter(operation: Operation): void {
    this.calls[operation] += 1;
    const index = this.failures.findIndex((failure) => failure.operation === operation);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      if (failure) throw failure.error;
    }
  }
}

export function graphError(status: number, code: string): GraphRequestError {
  return new GraphRequestError({ status, code });
}

function publicView(password: StoredPassword): AppPasswordCredential {
  return {
    keyId: password.keyId,
    displayName: password.displayName,
    hint: password.hint,
    startDateTime: password.startDateTime,
    endDateTime: password.endDateTime,
  };
}
