// The instance's cookie keyring (it caches the Key Vault `cookie-key`), shared by the connect flow and
// the audit trail.
import { CookieKeyring } from '../services/connect/cookieKeyring.js';
import { getCore } from './core.js';

let instanceKeyring: CookieKeyring | undefined;

export function getCookieKeyring(): CookieKeyring {
  instanceKeyring ??= new CookieKeyring(getCore().secretStore);
  return instanceKeyring;
}
