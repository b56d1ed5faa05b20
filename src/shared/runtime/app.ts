// The composition root: one App per instance (per validated Config object), built on first use and
// holding every service the functions, the CLI, the tests and the bench use. Each service is made once,
// when first asked for, from the Core's adapters (src/shared/runtime/core.ts); the feature files in this
// folder say how each is composed. Function handlers reach it only through the lazily imported chunk
// (lazyFunctionServices.ts), so starting the worker or answering `health` loads no SDK (bench P1).
import { getConfig, type Config } from '../config.js';
import { loggerFor, type Logger } from '../logger.js';
import { createAuditTrail, type AuditTrail } from '../services/audit/auditTrail.js';
import { CookieKeyring } from '../services/connect/cookieKeyring.js';
import type { ConnectService } from '../services/connect/connectService.js';
import type { DoctorDependencies } from '../services/doctor/doctorService.js';
import type { MailboxesService } from '../services/mailboxes/mailboxesService.js';
import type { MonitorDependencies } from '../services/monitor/monitorService.js';
import type { AlertMailer, MailboxKeepAlive, RotationAdvancer } from '../ports/index.js';
import type { RotationService } from '../services/rotation/rotationService.js';
import type { TokenService } from '../services/token/tokenService.js';
import { createDoctorDependencies } from './admin.js';
import { createConnectService } from './connect.js';
import { createCore, type Core, type CoreOverrides } from './core.js';
import { createMailboxesService } from './mailboxes.js';
import { createMonitorFeature, type MonitorFeature } from './monitor.js';
import { createRotationServiceFor } from './rotation.js';
import { createTokenServiceFor } from './token.js';

/** What a test or a measurement may put in place of the production wiring; production passes none. */
export interface AppOverrides extends CoreOverrides {
  /** Replaces adapters of the built Core (a test's hooked store, a stub OAuth client). */
  core?: (built: Core) => Core;
  /** The services' logger (default: the console, which the Functions host captures). */
  logger?: Logger;
  /** The monitor's keep-alive (default: the App's token service). */
  keepAlive?: MailboxKeepAlive;
  /** The digest's mailer (default: the channel ALERT_MAIL_AUTH names). */
  mailer?: AlertMailer;
  /** The monitor run's time budget (default: host.json's functionTimeout less a margin). */
  monitorBudget?: MonitorDependencies['budget'];
  /** What the monitor advances once per run (default: the App's rotation service; `false`: none). */
  rotation?: RotationAdvancer | false;
}

export interface App {
  readonly config: Config;
  readonly core: Core;
  /** The token service: its memory is the warm path, so one per App. */
  tokens(): TokenService;
  rotation(): RotationService;
  /** The monitor and status services, sharing the App's token and rotation services. */
  monitor(): MonitorFeature;
  /** The cookie keyring (it caches the Key Vault `cookie-key`), shared by the connect flow and the audit trail. */
  keyring(): CookieKeyring;
  audit(): AuditTrail;
  /** Cheap: made per invocation around that invocation's logger. */
  connect(logger: Logger): ConnectService;
  mailboxes(logger: Logger): MailboxesService;
  /** `npm run doctor`: the checks with keyrelay's own identity. */
  doctor(): DoctorDependencies;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

function buildApp(config: Config, overrides: AppOverrides): App {
  const built = createCore(config, overrides);
  const core = overrides.core ? overrides.core(built) : built;
  const logger = overrides.logger ?? loggerFor(console);
  const keyring = once(() => new CookieKeyring(core.secretStore));
  const audit = once(() => createAuditTrail(async () => (await keyring().currentKey()).key, logger));
  const tokens = once(() => createTokenServiceFor(core, { audit: audit(), logger }));
  const rotation = once(() => createRotationServiceFor(core, logger));
  const monitor = once(() => {
    const advancer = overrides.rotation === false ? undefined : (overrides.rotation ?? rotation());
    return createMonitorFeature(core, tokens(), {
      logger,
      ...(advancer ? { rotation: advancer } : {}),
      ...(overrides.keepAlive ? { keepAlive: overrides.keepAlive } : {}),
      ...(overrides.mailer ? { mailer: overrides.mailer } : {}),
      ...(overrides.monitorBudget ? { budget: overrides.monitorBudget } : {}),
    });
  });
  return {
    config,
    core,
    tokens,
    rotation,
    monitor,
    keyring,
    audit,
    connect: (invocationLogger) =>
      createConnectService(core, { keyring: keyring(), audit: audit(), logger: invocationLogger }),
    mailboxes: (invocationLogger) =>
      createMailboxesService(core, { tokens: tokens(), audit: audit(), logger: invocationLogger }),
    doctor: once(() => createDoctorDependencies(core, tokens())),
  };
}

const instanceApps = new WeakMap<Config, App>();

/**
 * The App for these settings. Without overrides it is memoised per Config object: every caller on the
 * instance (each function, the CLI) shares one. With overrides (tests, bench) each call builds its own.
 */
export function createApp(config: Config, overrides?: AppOverrides): App {
  if (overrides !== undefined) return buildApp(config, overrides);
  let app = instanceApps.get(config);
  if (!app) {
    app = buildApp(config, {});
    instanceApps.set(config, app);
  }
  return app;
}

/** The instance's App, on the app settings (function handlers). */
export function getApp(): App {
  return createApp(getConfig());
}
