// Graph `applications/{id}/federatedIdentityCredentials` (v1.0): list, get, create, delete, with Graph's
// resource shape (id, name, issuer, subject, audiences, description) and its limits: at most 20 per
// application, one audience, a unique name and a unique issuer + subject pair. The Entra emulator reads
// the same records to accept a matching client assertion (dev/cloud/entraClientAssertion.ts).
import { randomUUID } from 'node:crypto';
import type { EmulatedApplication, EmulatedFederatedCredential } from './context.js';

/** Microsoft: an application holds at most 20 federated identity credentials. */
export const MAX_FEDERATED_CREDENTIALS = 20;
const SEGMENT = 'federatedIdentityCredentials';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/;

export interface FederatedCredentialRequest {
  method: string;
  app: EmulatedApplication;
  /** Whether the caller may read / change this application (Graph's permission rules, decided by the caller). */
  canRead: boolean;
  canWrite: boolean;
  baseUrl: string;
  /** Segments after `federatedIdentityCredentials`. */
  rest: string[];
  readJson: () => Promise<Record<string, unknown>>;
}

export type FederatedCredentialResult =
  { status: number; body?: unknown } | { status: number; error: { code: string; message: string } };

/** The route key of an application sub-path (`rest`, joined by `/`), or undefined when it is not this resource. */
export function federatedCredentialRouteKey(method: string, rest: string): string | undefined {
  if (rest === SEGMENT)
    return method === 'GET'
      ? 'federatedIdentityCredentials.list'
      : method === 'POST'
        ? 'federatedIdentityCredentials.create'
        : undefined;
  if (rest.startsWith(`${SEGMENT}/`) && !rest.slice(SEGMENT.length + 1).includes('/')) {
    return method === 'GET'
      ? 'federatedIdentityCredentials.get'
      : method === 'DELETE'
        ? 'federatedIdentityCredentials.delete'
        : undefined;
  }
  return undefined;
}

export function credentialsOf(app: EmulatedApplication): EmulatedFederatedCredential[] {
  app.federatedIdentityCredentials ??= [];
  return app.federatedIdentityCredentials;
}

const denied = (): FederatedCredentialResult => ({
  status: 403,
  error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
});

const badRequest = (message: string): FederatedCredentialResult => ({
  status: 400,
  error: { code: 'Request_BadRequest', message },
});

function resource(credential: EmulatedFederatedCredential): Record<string, unknown> {
  return { ...credential, audiences: [...credential.audiences] };
}

export async function answerFederatedCredentials(
  request: FederatedCredentialRequest,
): Promise<FederatedCredentialResult> {
  const { method, app, rest } = request;
  const context = `${request.baseUrl}/v1.0/$metadata#applications('${app.id}')/${SEGMENT}`;
  const credentials = credentialsOf(app);
  const key = rest[0];
  if (key === undefined) {
    if (method === 'GET') {
      if (!request.canRead) return denied();
      return { status: 200, body: { '@odata.context': context, value: credentials.map(resource) } };
    }
    if (!request.canWrite) return denied();
    return create(request, credentials, context);
  }
  // Graph addresses one credential by its id or by its name.
  const index = credentials.findIndex((c) => c.id === key || c.name === key);
  if (method === 'GET' && !request.canRead) return denied();
  if (method === 'DELETE' && !request.canWrite) return denied();
  const found = credentials[index];
  if (found === undefined) {
    return {
      status: 404,
      error: {
        code: 'Request_ResourceNotFound',
        message: `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
      },
    };
  }
  if (method === 'GET') return { status: 200, body: { '@odata.context': `${context}/$entity`, ...resource(found) } };
  credentials.splice(index, 1);
  return { status: 204 };
}

async function create(
  request: FederatedCredentialRequest,
  credentials: EmulatedFederatedCredential[],
  context: string,
): Promise<FederatedCredentialResult> {
  const body = await request.readJson();
  const { name, issuer, subject, audiences, description } = body;
  if (typeof name !== 'string' || !NAME.test(name)) {
    return badRequest(
      "Property 'name' is required: 3 to 120 letters, digits, dashes or underscores, starting with a letter or digit.",
    );
  }
  if (typeof issuer !== 'string' || !URL.canParse(issuer) || !issuer.startsWith('https://'))
    return badRequest("Property 'issuer' must be an https URL.");
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 600)
    return badRequest("Property 'subject' is required (at most 600 characters).");
  if (
    !Array.isArray(audiences) ||
    audiences.length !== 1 ||
    typeof audiences[0] !== 'string' ||
    audiences[0].length === 0
  ) {
    return badRequest("Property 'audiences' must hold exactly one audience, e.g. api://AzureADTokenExchange.");
  }
  if (description !== undefined && description !== null && typeof description !== 'string')
    return badRequest("Property 'description' must be a string.");
  if (credentials.length >= MAX_FEDERATED_CREDENTIALS) {
    return badRequest(`An application can have at most ${MAX_FEDERATED_CREDENTIALS} federated identity credentials.`);
  }
  if (credentials.some((c) => c.name === name))
    return badRequest(`A federated identity credential named '${name}' already exists on this application.`);
  if (credentials.some((c) => c.issuer === issuer && c.subject === subject)) {
    return badRequest(
      'A federated identity credential with the same issuer and subject already exists on this application.',
    );
  }
  const credential: EmulatedFederatedCredential = {
    id: randomUUID(),
    name,
    issuer,
    subject,
    audiences: [audiences[0]],
    description: typeof description === 'string' ? description : null,
  };
  credentials.push(credential);
  return { status: 201, body: { '@odata.context': `${context}/$entity`, ...resource(credential) } };
}
