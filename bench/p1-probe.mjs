// One cold load, in a fresh process (run by bench/p1-coldstart.ts): imports the given modules the way
// the Functions worker would (with a stand-in @azure/functions-core) and prints
// {"ms": <load time>, "files": <files loaded>} as JSON. Counting files uses loader hooks, which slow
// loading down, so a run either times or counts, never both.
import Module, { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { modules, count } = JSON.parse(process.argv[2]);

const registrations = [];
const coreStub = {
  version: 'bench',
  hostVersion: 'bench',
  registerFunction: (metadata) => registrations.push(metadata.name),
  registerHook: () => ({ dispose() {} }),
  setProgrammingModel() {},
  getProgrammingModel: () => undefined,
  log() {},
  Disposable: class {},
};
const originalLoad = Module._load;
Module._load = function loadWithCore(request, parent, isMain) {
  return request === '@azure/functions-core' ? coreStub : originalLoad.call(this, request, parent, isMain);
};

let esmFiles;
if (count) {
  const { port1, port2 } = new MessageChannel();
  register('./p1-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
  esmFiles = () =>
    new Promise((resolve) => {
      port1.once('message', (urls) => resolve(urls));
      port1.postMessage('flush');
    });
}

const started = performance.now();
for (const file of modules) await import(pathToFileURL(file).href);
const ms = performance.now() - started;

let files;
if (count) {
  const loaded = new Set(Object.keys(Module._cache));
  for (const url of await esmFiles()) if (url.startsWith('file:')) loaded.add(new URL(url).pathname);
  files = loaded.size;
}
console.log(JSON.stringify({ ms, files, registrations: registrations.length }));
process.exit(0);
