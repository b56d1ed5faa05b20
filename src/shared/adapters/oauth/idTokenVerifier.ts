// The id-token verifier: the signature (and alg) against the tenant's JWKS, the key sets cached per instance.
// Claims (iss/aud/nonce/tid) are checked by the domain validator (domain/connect/idTokenClaims.ts).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { systemClock, type Clock } from '#src/shared/domain/clock.js';

/** Clock skew allowed between Entra and this host on the token's time claims. */
const CLOCK_TOLERANCE_SECONDS = 300;

export class IdTokenVerifier {
  private readonly jwksByUri = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** Rejects with a jose error when the token does not verify against `jwksUri`'s keys. */
  async verifySignature(idToken: string, jwksUri: string): Promise<Record<string, unknown>> {
    let jwks = this.jwksByUri.get(jwksUri);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(jwksUri));
      this.jwksByUri.set(jwksUri, jwks);
    }
    const { payload } = await jwtVerify(idToken, jwks, {
      algorithms: ['RS256'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: this.clock.now(),
    });
    return payload;
  }
}
