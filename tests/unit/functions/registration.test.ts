// Every file in src/functions is loaded through package.json `main` (dist/index.js, built by
// `npm run build`, which `npm test` and `npm run test:unit` run before vitest) and registers exactly what DESIGN.md §3 lists for it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApp, type LoadedApp } from '../../../dev/host/loader.js';
import { triggerBinding } from '../../../dev/host/invocation.js';
import { sampleSettings } from '../../integration/host/settings.js';

const repositoryRoot = join(import.meta.dirname, '..', '..', '..');

type Expected =
  | { trigger: 'http'; route: string; methods: string[]; authLevel: 'anonymous' | 'function' }
  | { trigger: 'timer'; schedule: string };

const DESIGN_FUNCTIONS: Record<string, Expected> = {
  connect: { trigger: 'http', route: 'connect', methods: ['GET'], authLevel: 'anonymous' },
  oauthCallback: { trigger: 'http', route: 'oauth/callback', methods: ['GET'], authLevel: 'anonymous' },
  token: { trigger: 'http', route: 'token', methods: ['POST'], authLevel: 'function' },
  status: { trigger: 'http', route: 'status', methods: ['GET'], authLevel: 'function' },
  mailboxes: { trigger: 'http', route: 'mailboxes/{mailbox?}', methods: ['GET', 'DELETE'], authLevel: 'function' },
  health: { trigger: 'http', route: 'health', methods: ['GET'], authLevel: 'anonymous' },
  expiryMonitor: { trigger: 'timer', schedule: '%MONITOR_SCHEDULE%' },
};

const functionFiles = readdirSync(join(repositoryRoot, 'src', 'functions'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length));

function registered(app: LoadedApp, name: string): Expected {
  const registration = app.registrations.find(({ metadata }) => metadata.name === name);
  if (!registration) throw new Error(`${name} is not registered`);
  const { type, options } = triggerBinding(registration.metadata);
  if (type === 'timerTrigger') return { trigger: 'timer', schedule: String(options.schedule) };
  return {
    trigger: 'http',
    route: String(options.route),
    methods: (options.methods as string[]).map((method) => method.toUpperCase()),
    authLevel: options.authLevel as 'anonymous' | 'function',
  };
}

describe('function registrations', () => {
  let app: LoadedApp;
  beforeAll(async () => {
    Object.assign(process.env, sampleSettings());
    app = await loadApp(repositoryRoot, () => undefined);
  });

  it('has a DESIGN §3 row for every file in src/functions', () => {
    expect(functionFiles.filter((name) => !(name in DESIGN_FUNCTIONS))).toEqual([]);
  });

  it('loads the one build entry that package.json main names', () => {
    expect(app.entryFiles.map((file) => file.slice(repositoryRoot.length + 1).replaceAll('\\', '/'))).toEqual([
      'dist/index.js',
    ]);
  });

  it('registers exactly one function per file, named after it', () => {
    expect(app.registrations.map(({ metadata }) => metadata.name).sort()).toEqual([...functionFiles].sort());
  });

  it.each(functionFiles)('%s registers the trigger, route, methods and auth level of DESIGN §3', (name) => {
    expect(registered(app, name)).toEqual(DESIGN_FUNCTIONS[name]);
  });
});
