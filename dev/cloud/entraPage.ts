// HTML of the Entra emulator's sign-in page: pick a demo user, accept the consent for the listed
// scopes, submit. Plain form POST (works in a headless browser and with fetch), no script.
import { escapeHtml } from '#src/shared/presentation/html.js';
import type { EmulatedTenant } from './context.js';

// No form-action: Chromium applies it to the redirects after the submit too, and the sign-in form's
// answer redirects to the app's redirect URI on another origin (as Entra's own page does).
export const SIGN_IN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function shell(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}fieldset{margin:1rem 0}
label{display:block;margin:.3rem 0}.error{color:#a00}.scopes li{font-family:monospace}button{margin-right:.5rem;padding:.4rem 1rem}</style></head>
<body><h1>Local Entra ID</h1>${body}</body></html>`;
}

export interface SignInPageModel {
  formAction: string;
  flowId: string;
  appName: string;
  tenants: EmulatedTenant[];
  preselectedOid?: string;
  scopes: string[];
  /** Shown above the form after a rejected submit (e.g. no user picked). */
  problem?: string;
}

export function renderSignInPage(model: SignInPageModel): string {
  const users = model.tenants
    .map((tenant) => {
      const options = tenant.users
        .map((user) => {
          const checked = user.oid === model.preselectedOid ? ' checked' : '';
          return `<label><input type="radio" name="user" value="${escapeHtml(user.oid)}" data-upn="${escapeHtml(user.upn)}"${checked}> ${escapeHtml(user.displayName)} &lt;${escapeHtml(user.upn)}&gt;</label>`;
        })
        .join('\n');
      return `<fieldset><legend>${escapeHtml(tenant.domain)}</legend>\n${options}</fieldset>`;
    })
    .join('\n');
  const scopes = model.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  const problem = model.problem ? `<p class="error" role="alert">${escapeHtml(model.problem)}</p>` : '';
  return shell(
    'Sign in',
    `${problem}<form method="post" action="${escapeHtml(model.formAction)}">
<input type="hidden" name="flow" value="${escapeHtml(model.flowId)}">
<h2>Pick an account</h2>
${users}
<h2>Permissions requested by ${escapeHtml(model.appName)}</h2>
<ul class="scopes">${scopes}</ul>
<label><input type="checkbox" name="consent" value="yes"> Accept: let ${escapeHtml(model.appName)} use these permissions</label>
<p><button type="submit" name="action" value="accept">Sign in</button><button type="submit" name="action" value="cancel">Cancel</button></p>
</form>`,
  );
}

export function renderErrorPage(title: string, message: string): string {
  return shell(title, `<h2>${escapeHtml(title)}</h2><p class="error" role="alert">${escapeHtml(message)}</p>`);
}
