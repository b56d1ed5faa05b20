// Drives the connect flow against the local host over real HTTP, like a browser without one: keeps the
// flow cookies, follows the Entra emulator's sign-in form, and records every response for the canary
// and "nothing written" checks.
import { expect } from 'vitest';
import { signInThroughForm, type SignInChoice } from '../../../dev/cloud/entraSignIn.js';
import { COOKIE_KEY_SECRET_NAME } from '#src/shared/services/connect/cookieKeyring.js';
import type { TestHost, TestStack } from '../../support/stack.js';

export interface RecordedResponse {
  url: string;
  status: number;
  headers: Headers;
  setCookies: string[];
  location: string | null;
  body: string;
}

export interface FlowStart {
  response: RecordedResponse;
  authorizeUrl: URL;
  /** `name=value` of the flow cookie, as a browser would send it back. */
  cookie: string;
}

/** Whether a code reached Entra's token endpoint: `none` (refused before), `refused` (Entra refused it) or `accepted` (refused after it). */
export type Redemption = 'none' | 'refused' | 'accepted';

export class ConnectDriver {
  readonly responses: RecordedResponse[] = [];

  constructor(
    readonly stack: TestStack,
    readonly host: TestHost,
  ) {}

  async get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<RecordedResponse> {
    const url = `${this.host.url}${pathAndQuery}`;
    const response = await fetch(url, { redirect: 'manual', headers });
    const recorded: RecordedResponse = {
      url,
      status: response.status,
      headers: response.headers,
      setCookies: response.headers.getSetCookie(),
      location: response.headers.get('location'),
      body: await response.text(),
    };
    this.responses.push(recorded);
    return recorded;
  }

  async start(
    query = `?returnUrl=${encodeURIComponent(this.returnUrl)}`,
    headers: Record<string, string> = {},
  ): Promise<FlowStart> {
    const response = await this.get(`/api/connect${query}`, headers);
    if (response.status !== 302 || response.location === null)
      throw new Error(`connect answered ${response.status}: ${response.body}`);
    const [setCookie] = response.setCookies;
    if (setCookie === undefined) throw new Error('connect set no cookie');
    return { response, authorizeUrl: new URL(response.location), cookie: setCookie.split(';')[0] ?? '' };
  }

  get returnUrl(): string {
    return this.stack.settings.ALLOWED_RETURN_URLS ?? '';
  }

  /** Signs in on the emulator's page; answers the callback path+query Entra redirects the browser to. */
  async signIn(flow: FlowStart, choice: SignInChoice): Promise<string> {
    const { redirect } = await signInThroughForm(flow.authorizeUrl.href, choice);
    return `${redirect.pathname}${redirect.search}`;
  }

  callback(pathAndQuery: string, cookie?: string, headers: Record<string, string> = {}): Promise<RecordedResponse> {
    return this.get(pathAndQuery, { ...(cookie === undefined ? {} : { cookie }), ...headers });
  }

  /** What the flow writes: versions of every Key Vault secret but the cookie key, and the registry rows. */
  async writtenState(): Promise<{ secrets: Record<string, number>; mailboxes: string[] }> {
    const secrets = Object.fromEntries(
      this.stack.local.cloud
        .state()
        .keyVault.filter((secret) => secret.name !== COOKIE_KEY_SECRET_NAME)
        .map((secret) => [secret.name, secret.versionCount]),
    );
    const mailboxes = (await this.stack.core.mailboxRegistry.list())
      .map((row) => `${row.upn}@${row.connectedAt.toISOString()}`)
      .sort();
    return { secrets, mailboxes };
  }

  /** Runs `act` and checks that it wrote nothing (Key Vault versions, registry rows) and redeemed as said. */
  async expectNothingWritten(act: () => Promise<RecordedResponse>, redemption: Redemption): Promise<RecordedResponse> {
    const before = await this.writtenState();
    const redemptionsBefore = this.codeRedemptions();
    const response = await act();
    expect(await this.writtenState()).toEqual(before);
    const redemptionsAfter = this.codeRedemptions();
    expect(redemptionsAfter.total - redemptionsBefore.total).toBe(redemption === 'none' ? 0 : 1);
    expect(redemptionsAfter.succeeded - redemptionsBefore.succeeded).toBe(redemption === 'accepted' ? 1 : 0);
    return response;
  }

  codeRedemptions(): { total: number; succeeded: number } {
    const entries = this.stack.local.cloud
      .requestLog()
      .entries.filter((entry) => entry.service === 'entra' && entry.route === 'token.authorization_code');
    return { total: entries.length, succeeded: entries.filter((entry) => entry.status === 200).length };
  }
}

/** The value of one query parameter of a path+query or URL. */
export function queryParam(pathOrUrl: string, name: string): string {
  return new URL(pathOrUrl, 'http://127.0.0.1').searchParams.get(name) ?? '';
}

export function expectErrorPage(response: RecordedResponse, status: number, code: string, title: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.location).toBeNull();
  expect(response.body).toContain(`<code>${code}</code>`);
  expect(response.body).toContain(title);
}
