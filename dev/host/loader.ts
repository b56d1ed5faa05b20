// Loads the app the way the Functions host does: every file matching package.json `main`, after
// providing `@azure/functions-core` so that @azure/functions hands over its registrations instead of
// dropping them in "test mode" (FACTS.md).
import { readdir, readFile } from 'node:fs/promises';
import Module from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createCoreApi,
  type CoreApiState,
  type ProgrammingModel,
  type Registration,
  type SystemLogger,
} from './coreApi.js';

const CORE_MODULE = '@azure/functions-core';

export interface LoadedApp {
  programmingModel: ProgrammingModel;
  registrations: readonly Registration[];
  entryFiles: readonly string[];
}

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;

function provideCoreModule(coreApi: object): void {
  const moduleInternals = Module as unknown as { _load: ModuleLoad };
  const originalLoad = moduleInternals._load;
  // The bundle calls a createRequire()-based require for this name; every require goes through _load.
  moduleInternals._load = function loadWithCoreApi(request, parent, isMain) {
    return request === CORE_MODULE ? coreApi : originalLoad.call(this, request, parent, isMain);
  };
}

async function entryFiles(appRoot: string): Promise<string[]> {
  const packageJson = JSON.parse(await readFile(join(appRoot, 'package.json'), 'utf8')) as { main?: unknown };
  if (typeof packageJson.main !== 'string') throw new Error('package.json has no "main": the host would load nothing.');
  return (await expandGlob(appRoot, packageJson.main.split('/'))).sort();
}

function globSegmentPattern(segment: string): RegExp {
  const source = segment
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${source}$`);
}

/** Node 20 has no fs.glob: `*`, `?` and `**` over path segments are all package.json `main` needs. */
async function expandGlob(directory: string, segments: readonly string[]): Promise<string[]> {
  const [segment, ...rest] = segments;
  if (segment === undefined) return [directory];
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  if (segment === '**') {
    const here = await expandGlob(directory, rest);
    const below = await Promise.all(
      entries.filter((entry) => entry.isDirectory()).map((entry) => expandGlob(join(directory, entry.name), segments)),
    );
    return [...here, ...below.flat()];
  }
  const pattern = globSegmentPattern(segment);
  const matches = entries.filter(
    (entry) => pattern.test(entry.name) && (rest.length === 0 ? entry.isFile() : entry.isDirectory()),
  );
  return (await Promise.all(matches.map((entry) => expandGlob(join(directory, entry.name), rest)))).flat();
}

const loadedApps = new Map<string, Promise<LoadedApp>>();

/**
 * Loads the built app once per process (ES modules are cached, so a second import would register
 * nothing). Settings must already be in process.env: the entry points validate them while loading.
 */
export function loadApp(appRoot: string, systemLog: SystemLogger): Promise<LoadedApp> {
  let loaded = loadedApps.get(appRoot);
  if (!loaded) {
    loaded = loadAppOnce(appRoot, systemLog);
    loadedApps.set(appRoot, loaded);
  }
  return loaded;
}

async function loadAppOnce(appRoot: string, systemLog: SystemLogger): Promise<LoadedApp> {
  const state: CoreApiState = { registrations: [] };
  provideCoreModule(createCoreApi(state, systemLog));
  const files = await entryFiles(appRoot);
  if (files.length === 0) throw new Error(`No file matches package.json "main" under ${appRoot}: run npm run build.`);
  for (const file of files) {
    await import(pathToFileURL(file).href);
    systemLog('debug', `loaded ${relative(appRoot, file)}`);
  }
  const programmingModel = state.programmingModel;
  if (!programmingModel) throw new Error('The app registered no programming model (no app.* call in any entry point).');
  // The worker asks for capabilities once start-up is done; @azure/functions locks its setup() then.
  const capabilities = await programmingModel.getCapabilities({});
  if (capabilities.HttpUri) throw new Error('HTTP streaming is enabled, which the local host does not support.');
  return { programmingModel, registrations: state.registrations, entryFiles: files };
}
