// The MSAL cache bridge (msal-node's ICachePlugin): MSAL's token cache as a string the caller loads from and
// persists to Key Vault, one bridge per operation.
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';

/** Bridges MSAL's cache to a string the caller loads from and persists to Key Vault. */
export class SerializedCacheBridge implements ICachePlugin {
  changed = false;
  constructor(public serialized: string | undefined) {}

  beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    if (this.serialized) context.tokenCache.deserialize(this.serialized);
    return Promise.resolve();
  }

  afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (context.cacheHasChanged) {
      this.serialized = context.tokenCache.serialize();
      this.changed = true;
    }
    return Promise.resolve();
  }
}

/** The refresh tokens a serialized cache holds, as one comparable string (a refresh may rotate them). */
export function refreshTokenSecrets(serialized: string | undefined): string {
  if (!serialized) return '';
  const parsed = JSON.parse(serialized) as { RefreshToken?: Record<string, { secret?: string }> };
  return Object.values(parsed.RefreshToken ?? {})
    .map((entry) => entry.secret ?? '')
    .sort()
    .join('|');
}
