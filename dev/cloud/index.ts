// One call starts the local Microsoft cloud: Entra ID, Graph, Key Vault and the control API, each on
// its own HTTPS server (port 0, 127.0.0.1) with a certificate from the local CA, sharing one state;
// optionally Azurite. Returns the settings (DESIGN §4) that point keyrelay at it.
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { CloudClock, EmulatorHandler, LocalCloudContext, TokenVerifier } from './context.js';
import { LocalCloud, OffsetClock, createControlHandler } from './control.js';
import { createEntraEmulator } from './entra.js';
import { workloadIdentityObjectId } from './entraClientAssertion.js';
import { createGraphHandler } from './graph.js';
import { sendJson } from './http.js';
import { createKeyVaultHandler } from './keyVault.js';
import { startAzurite, type AzuriteHandle } from './azurite.js';
import {
  CONTOSO_TENANT_ID,
  FABRIKAM_TENANT_ID,
  KEYRELAY_APP_ID,
  KEYRELAY_IDENTITY_CLIENT_ID,
  createContext,
  seedWorld,
} from './seed.js';
import { startSmtpEmulator } from './smtp.js';
import {
  defaultLocalCaDir,
  ensureLocalCa,
  issueServerCertificate,
  type LocalCa,
  type ServerCertificate,
} from './tls.js';

export { LocalCloud, OffsetClock } from './control.js';
export {
  ADMIN_CLIENT_ID,
  ADMIN_OBJECT_ID,
  CONTOSO_TENANT_ID,
  FABRIKAM_TENANT_ID,
  KEYRELAY_APP_ID,
  KEYRELAY_IDENTITY_CLIENT_ID,
  KEYRELAY_IDENTITY_OBJECT_ID,
  KEYRELAY_SERVICE_PRINCIPAL_ID,
} from './seed.js';

export const DEFAULT_CLIENT_SECRET_NAME = 'oauth-client-secret';

export interface LocalCloudOptions {
  /** keyrelay's external base URL: registers `${publicBaseUrl}/api/oauth/callback` and sets PUBLIC_BASE_URL. */
  publicBaseUrl?: string;
  /** More web redirect URIs for the keyrelay app registration. */
  redirectUris?: string[];
  /** Start Azurite too and add AzureWebJobsStorage to the settings. */
  azurite?: boolean;
  /** Store the initial client secret in Key Vault as keyrelay expects it (DESIGN §5). */
  seedKeyVault?: boolean;
  /** Directory of the local CA; default LOCAL_CLOUD_CA_DIR, else a fixed dir under the OS temp dir. */
  caDir?: string;
  accessTokenLifetimeSeconds?: number;
  /** Replaces the adjustable clock (the control API's clock offset then refuses). */
  clock?: CloudClock;
  initialSecretEndDateTime?: Date;
  initialSecretAgeDays?: number;
}

export interface LocalCloudUrls {
  /** `${entra}/${tenant}`: an MSAL authority (default tenant: organizations). */
  authority(tenant?: string): string;
  entra: string;
  graph: string;
  keyVault: string;
  control: string;
}

/** App settings (DESIGN §4) plus the identity environment DefaultAzureCredential reads. */
export interface LocalCloudSettings {
  KEY_VAULT_URL: string;
  /** The SMTP emulator (`127.0.0.1:<port>`), where the SMTP AUTH probe and clients connect. */
  SMTP_ENDPOINT: string;
  OAUTH_CLIENT_ID: string;
  OAUTH_TENANT: string;
  AZURE_TENANT_ID: string;
  AZURE_AUTHORITY_HOST: string;
  GRAPH_ENDPOINT: string;
  AZURE_CLIENT_ID: string;
  AZURE_CLIENT_SECRET: string;
  OAUTH_CLIENT_SECRET_NAME: string;
  /** Both seeded tenants: the demo connects mailboxes of contoso (home) and fabrikam (a customer). */
  ALLOWED_TENANTS: string;
  /** Every local client shares one address (no front end sets X-Forwarded-For): a limit for a crowd. */
  CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR: string;
  /** keyrelay's identity's object id (azd's output of the same name): the subject of its federated credential. */
  AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: string;
  PUBLIC_BASE_URL?: string;
  AzureWebJobsStorage?: string;
}

export interface StartedLocalCloud {
  ctx: LocalCloudContext;
  /** Typed control client (same operations as the control API). */
  cloud: LocalCloud;
  /** Verifies access tokens minted by the Entra emulator (signature, expiry, audience). */
  verifier: TokenVerifier;
  urls: LocalCloudUrls;
  settings: LocalCloudSettings;
  /** Initial client secret of the keyrelay app (Graph stores only its digest). */
  clientSecret: string;
  /** keyId of that secret's password credential. */
  clientSecretKeyId: string;
  ca: LocalCa;
  /** NODE_EXTRA_CA_CERTS for any process that must trust these servers. */
  caBundlePath: string;
  azurite?: AzuriteHandle;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<StartedLocalCloud> {
  const ca = await ensureLocalCa(options.caDir ?? process.env.LOCAL_CLOUD_CA_DIR ?? defaultLocalCaDir());
  const azuriteStarting = options.azurite ? startAzurite() : undefined;
  const clock = options.clock ?? new OffsetClock();
  const redirectUris = [
    ...(options.publicBaseUrl ? [`${options.publicBaseUrl.replace(/\/$/, '')}/api/oauth/callback`] : []),
    ...(options.redirectUris ?? []),
  ];
  const world = seedWorld(clock, {
    redirectUris,
    ...(options.initialSecretEndDateTime ? { initialSecretEndDateTime: options.initialSecretEndDateTime } : {}),
    ...(options.initialSecretAgeDays !== undefined ? { initialSecretAgeDays: options.initialSecretAgeDays } : {}),
  });
  const ctx = createContext(clock, world);
  const cloud = new LocalCloud(ctx);
  const [certificate, entra] = await Promise.all([
    issueServerCertificate(ca),
    createEntraEmulator(
      ctx,
      options.accessTokenLifetimeSeconds !== undefined
        ? { accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds }
        : {},
    ),
  ]);

  const servers: RunningServer[] = [];
  let azurite: AzuriteHandle | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([
      ...servers.map((s) => s.close()),
      azurite?.stop() ??
        azuriteStarting?.then(
          (a) => a.stop(),
          () => undefined,
        ),
    ]);
  };
  try {
    const [entraServer, graphServer, keyVaultServer, controlServer] = await Promise.all([
      listen(certificate, entra.handler),
      listen(certificate, createGraphHandler(ctx, entra.verifier)),
      listen(certificate, createKeyVaultHandler(ctx, entra.verifier)),
      listen(certificate, createControlHandler(cloud)),
    ]);
    servers.push(entraServer, graphServer, keyVaultServer, controlServer);
    const smtp = await startSmtpEmulator(ctx, entra.verifier, certificate);
    servers.push({ url: smtp.endpoint, close: () => smtp.close() });
    ctx.urls = {
      entra: entraServer.url,
      graph: graphServer.url,
      keyVault: keyVaultServer.url,
      control: controlServer.url,
      smtp: smtp.endpoint,
    };
    azurite = await azuriteStarting;

    const identity = ctx.servicePrincipals.find((s) => s.clientId === KEYRELAY_IDENTITY_CLIENT_ID)!;
    const keyId = ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!.passwordCredentials[0]!.keyId;
    const settings: LocalCloudSettings = {
      KEY_VAULT_URL: `${ctx.urls.keyVault}/`,
      SMTP_ENDPOINT: smtp.endpoint,
      OAUTH_CLIENT_ID: KEYRELAY_APP_ID,
      OAUTH_TENANT: 'organizations',
      AZURE_TENANT_ID: CONTOSO_TENANT_ID,
      AZURE_AUTHORITY_HOST: ctx.urls.entra,
      GRAPH_ENDPOINT: ctx.urls.graph,
      AZURE_CLIENT_ID: identity.clientId,
      AZURE_CLIENT_SECRET: identity.secret,
      OAUTH_CLIENT_SECRET_NAME: DEFAULT_CLIENT_SECRET_NAME,
      ALLOWED_TENANTS: `${CONTOSO_TENANT_ID},${FABRIKAM_TENANT_ID}`,
      CONNECT_ATTEMPTS_PER_CLIENT_PER_HOUR: '1000',
      AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: workloadIdentityObjectId(identity),
      ...(options.publicBaseUrl ? { PUBLIC_BASE_URL: options.publicBaseUrl } : {}),
      ...(azurite ? { AzureWebJobsStorage: azurite.connectionString } : {}),
    };
    if (options.seedKeyVault) {
      const endDateTime = ctx.applications.find((a) => a.appId === KEYRELAY_APP_ID)!.passwordCredentials[0]!
        .endDateTime;
      await seedClientSecret(ca, ctx, identity.clientId, identity.secret, world.clientSecret, keyId, endDateTime);
    }
    return {
      ctx,
      cloud,
      verifier: entra.verifier,
      urls: { authority: (tenant = 'organizations') => `${ctx.urls.entra}/${tenant}`, ...ctx.urls },
      settings,
      clientSecret: world.clientSecret,
      clientSecretKeyId: keyId,
      ca,
      caBundlePath: ca.bundlePath,
      ...(azurite ? { azurite } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface RunningServer {
  url: string;
  close(): Promise<void>;
}

function listen(certificate: ServerCertificate, handler: EmulatorHandler): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', `https://${req.headers.host ?? '127.0.0.1'}`);
    handler(req, res, url).catch((error: unknown) => {
      // An emulator bug must be loud in the test output, but never leak as a half-written response.
      console.error(`local cloud: ${req.method ?? 'GET'} ${url.pathname} failed:`, error);
      if (!res.headersSent)
        sendJson(res, 500, { error: 'emulator_error', message: 'The local emulator failed; see its console output.' });
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('server has no TCP address'));
      resolve({
        url: `https://127.0.0.1:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive connections of SDK clients would hold close() open otherwise.
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}

/** Puts the initial secret into Key Vault through the real secrets API, tagged as DESIGN §5 says. */
async function seedClientSecret(
  ca: LocalCa,
  ctx: LocalCloudContext,
  clientId: string,
  clientSecret: string,
  secretText: string,
  keyId: string,
  endDateTime: string,
): Promise<void> {
  const tokenResponse = await postHttps(
    ca,
    `${ctx.urls.entra}/${CONTOSO_TENANT_ID}/oauth2/v2.0/token`,
    'application/x-www-form-urlencoded',
    {},
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'https://vault.azure.net/.default',
    }).toString(),
  );
  const { access_token: accessToken } = JSON.parse(tokenResponse) as { access_token: string };
  await postHttps(
    ca,
    `${ctx.urls.keyVault}/secrets/${DEFAULT_CLIENT_SECRET_NAME}?api-version=2025-07-01`,
    'application/json',
    { authorization: `Bearer ${accessToken}` },
    JSON.stringify({
      value: secretText,
      tags: { appId: KEYRELAY_APP_ID, keyId, managedBy: 'keyrelay' },
      attributes: { enabled: true, exp: Math.floor(Date.parse(endDateTime) / 1000) },
    }),
    'PUT',
  );
}

/** HTTPS with the local CA pinned for this call: works even when this process started without the bundle. */
function postHttps(
  ca: LocalCa,
  url: string,
  contentType: string,
  headers: Record<string, string>,
  body: string,
  method = 'POST',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method, ca: ca.certPem, headers: { 'content-type': contentType, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else reject(new Error(`${method} ${new URL(url).pathname} answered ${status}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
