// The local host as users run it (`npm run host`): a child process on a free port, serving the real
// build (dist/, made by `npm run build` before vitest) or a fixture app built the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureApp } from './fixtureApp.js';
import { freePort } from '../../../dev/freePort.js';
import { hostUrl, spawnCloud, spawnHost, type HostProcess } from './hostProcess.js';
import { sampleSettings } from './settings.js';

describe('local host serving the keyrelay build', () => {
  let host: HostProcess;
  let baseUrl: string;

  beforeAll(async () => {
    host = spawnHost([], sampleSettings());
    baseUrl = await hostUrl(host);
  });
  afterAll(() => host.stop());

  it('answers GET /api/health with 200 {"status":"ok"} and nothing else', async () => {
    const response = await fetch(`${baseUrl}/api/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    const response = await fetch(`${baseUrl}/api/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers a known route with a method it does not accept with 404, like the Functions host', async () => {
    const response = await fetch(`${baseUrl}/api/health`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers the admin API for an unknown function with 404', async () => {
    const response = await fetch(`${baseUrl}/admin/functions/noSuchFunction`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });

  it('logs each invocation briefly', async () => {
    await fetch(`${baseUrl}/api/health`);
    await host.waitForOutput(/Executed 'Functions\.health' \(Succeeded/);
  });
});

describe('local host with bad settings', () => {
  it('refuses to start, naming all three wrong settings in one message without a stack trace', async () => {
    const host = spawnHost([], {
      ...sampleSettings(),
      KEY_VAULT_URL: 'not a url',
      OAUTH_CLIENT_ID: '',
      ROTATION_MODE: 'sometimes',
    });
    const exitCode = await host.exited;
    const output = host.output();
    expect(exitCode).not.toBe(0);
    expect(output).toContain('3 settings are missing or invalid');
    expect(output).toMatch(/KEY_VAULT_URL: expected an absolute https:\/\/ URL/);
    expect(output).toMatch(/OAUTH_CLIENT_ID: missing/);
    expect(output).toMatch(/ROTATION_MODE: expected one of: auto, alert-only/);
    expect(output).not.toMatch(/\n\s+at /);
  });
});

describe('local host with no settings at all', () => {
  it('exits naming the missing settings and the three ways to get a working set', async () => {
    const host = spawnHost([], {});
    const exitCode = await host.exited;
    const output = host.output();
    expect(exitCode).toBe(1);
    expect(output).toMatch(/\d+ settings are missing or invalid/);
    expect(output).toContain('npm run demo');
    expect(output).toContain('npm run host -- --local-cloud');
    expect(output).toContain('npm run cloud');
    expect(output).not.toMatch(/\n\s+at /);
  });
});

describe('npm run host -- --local-cloud', { timeout: 120_000 }, () => {
  let host: HostProcess;
  let baseUrl: string;
  beforeAll(async () => {
    host = spawnHost(['--local-cloud', '--function-key=local-cloud-key'], {});
    baseUrl = await hostUrl(host);
  }, 120_000);
  afterAll(() => host.stop());

  it('says what it started: every stand-in of the local Microsoft cloud and Azurite', () => {
    const output = host.output();
    expect(output).toContain('Started for the host: the local Microsoft cloud and Azurite');
    for (const standIn of ['Entra ID', 'Graph', 'Key Vault', 'SMTP', 'Azurite'])
      expect(output).toMatch(new RegExp(`\\n  ${standIn} +(https?://)?127\\.0\\.0\\.1:\\d+`));
  });

  it('serves keyrelay connected to them: the mailbox registry in Azurite answers', async () => {
    const response = await fetch(`${baseUrl}/api/mailboxes`, { headers: { 'x-functions-key': 'local-cloud-key' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ mailboxes: [] });
  });
});

describe('npm run cloud, then npm run host with the lines it printed', { timeout: 120_000 }, () => {
  let cloud: HostProcess;
  let host: HostProcess | undefined;
  afterAll(async () => {
    await host?.stop();
    await cloud?.stop();
  });

  it('connects: the host starts on those settings and reads the mailbox registry', async () => {
    const port = String(await freePort());
    cloud = spawnCloud({ PORT: port });
    await cloud.waitForOutput('Ctrl+C stops everything.');
    const exported = Object.fromEntries(
      [...cloud.output().matchAll(/^ {2}export ([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$/gm)].map((match) => [
        match[1]!,
        match[2]!,
      ]),
    );
    expect(exported).toHaveProperty('NODE_EXTRA_CA_CERTS');
    host = spawnHost(['--function-key=cloud-key'], { ...exported, PORT: port });
    const baseUrl = await hostUrl(host);
    const response = await fetch(`${baseUrl}/api/mailboxes`, { headers: { 'x-functions-key': 'cloud-key' } });
    expect(response.status).toBe(200);
  });
});

describe('local host serving a fixture app', () => {
  let appRoot: string;
  beforeAll(async () => {
    appRoot = await buildFixtureApp();
  });

  describe('without a function key (the default, like func start)', () => {
    let host: HostProcess;
    let baseUrl: string;
    beforeAll(async () => {
      host = spawnHost([`--app-root=${appRoot}`], {});
      baseUrl = await hostUrl(host);
    });
    afterAll(() => host.stop());

    it('binds route parameters, the optional one included, and passes query and body', async () => {
      const withDetail = await fetch(`${baseUrl}/api/items/42/full?q=x`, { method: 'POST', body: 'hello' });
      expect(await withDetail.json()).toEqual({
        params: { id: '42', detail: 'full' },
        method: 'POST',
        query: 'x',
        body: 'hello',
      });
      const withoutDetail = await fetch(`${baseUrl}/api/Items/7`);
      expect(await withoutDetail.json()).toEqual({ params: { id: '7' }, method: 'GET', query: null, body: '' });
    });

    it('turns the cookies array into Set-Cookie headers', async () => {
      const response = await fetch(`${baseUrl}/api/items/1`);
      expect(response.headers.getSetCookie()).toEqual(['fixture=baked; Path=/; Secure; HttpOnly; SameSite=Lax']);
    });

    it('answers a path with more segments than the template allows with 404', async () => {
      const response = await fetch(`${baseUrl}/api/items/1/2/3`);
      expect(response.status).toBe(404);
    });

    it('runs a timer function on POST /admin/functions/<name> with 202, as the host does', async () => {
      const response = await fetch(`${baseUrl}/admin/functions/tick`, {
        method: 'POST',
        body: '{"input":""}',
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status).toBe(202);
      await host.waitForOutput('[tick] tick ran (isPastDue=false)');
      await host.waitForOutput(/Executed 'Functions\.tick' \(Succeeded/);
    });
  });

  describe('with a function key', () => {
    let host: HostProcess;
    let baseUrl: string;
    beforeAll(async () => {
      host = spawnHost([`--app-root=${appRoot}`, '--function-key=fixture-key'], {});
      baseUrl = await hostUrl(host);
    });
    afterAll(() => host.stop());

    it('rejects a function-level route without the key or with a wrong one (401)', async () => {
      expect((await fetch(`${baseUrl}/api/items/1`)).status).toBe(401);
      expect((await fetch(`${baseUrl}/api/items/1?code=wrong`)).status).toBe(401);
    });

    it('accepts the key in the x-functions-key header or the code query parameter', async () => {
      expect((await fetch(`${baseUrl}/api/items/1`, { headers: { 'x-functions-key': 'fixture-key' } })).status).toBe(
        200,
      );
      expect((await fetch(`${baseUrl}/api/items/1?code=fixture-key`)).status).toBe(200);
    });

    it('requires the key on the admin API too', async () => {
      expect((await fetch(`${baseUrl}/admin/functions/tick`, { method: 'POST' })).status).toBe(401);
      const accepted = await fetch(`${baseUrl}/admin/functions/tick`, {
        method: 'POST',
        headers: { 'x-functions-key': 'fixture-key' },
      });
      expect(accepted.status).toBe(202);
    });
  });
});
