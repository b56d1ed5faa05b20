// Drives the Entra emulator's sign-in page without a browser: GET the authorize URL, pick the user
// by UPN, tick consent, POST the form, return where Entra redirects. Tests and scripted demos use it;
// the e2e tests click the same page in Chromium.
export interface SignInChoice {
  upn: string;
  /** Tick the consent box (default true). */
  consent?: boolean;
  /** Press Cancel instead of Sign in. */
  cancel?: boolean;
}

export interface SignInResult {
  /** The Location Entra redirected to (the app's redirect URI with code/state or error). */
  redirect: URL;
  /** The emulator's session cookie, for a later `prompt=none` request. */
  sessionCookie?: string;
}

export async function signInThroughForm(authorizeUrl: string, choice: SignInChoice): Promise<SignInResult> {
  const page = await fetch(authorizeUrl, { redirect: 'manual' });
  if (page.status !== 200) throw new Error(`authorize page answered ${page.status}`);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const flow = /name="flow" value="([^"]+)"/.exec(html)?.[1];
  const user = new RegExp(`value="([^"]+)" data-upn="${escapeRegExp(choice.upn)}"`, 'i').exec(html)?.[1];
  if (!action || !flow) throw new Error('authorize page has no sign-in form');
  const form = new URLSearchParams({ flow: decodeEntities(flow), action: choice.cancel ? 'cancel' : 'accept' });
  if (user) form.set('user', decodeEntities(user));
  if (choice.consent ?? true) form.set('consent', 'yes');
  const answer = await fetch(decodeEntities(action), { method: 'POST', body: form, redirect: 'manual' });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || !location)
    throw new Error(`sign-in form answered ${answer.status}: ${await answer.text()}`);
  const cookie = answer.headers.get('set-cookie')?.split(';')[0];
  return { redirect: new URL(location), ...(cookie ? { sessionCookie: cookie } : {}) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
