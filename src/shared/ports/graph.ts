// Microsoft Graph failures as the services see them: status and Graph's code, never the body.

export interface GraphFailure {
  status: number;
  /** Graph's error code, e.g. Authorization_RequestDenied, CredentialInvalidLifetimeAsPerAppPolicy. */
  code: string;
  retryAfterSeconds?: number;
}

export class GraphRequestError extends Error {
  constructor(
    readonly failure: GraphFailure,
    options?: { cause?: unknown },
  ) {
    super(`Graph request failed: ${failure.status} ${failure.code}`, options);
    this.name = 'GraphRequestError';
  }
}
