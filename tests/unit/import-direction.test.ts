// STYLE.md habit 2: the import direction tells which file is which. Only src/functions touches the
// Functions runtime; only src/shared/adapters loads SDKs; only config.ts reads process.env. Between the
// layers of src/shared (ports inward), `import type` counts too: a type names what a file depends on.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcRoot = join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT_SPECIFIER =
  /(?:^|[\s;])(import|export)\s+(type\s)?[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Specifiers of the imports that load a module at run time (static, side-effect and dynamic). */
function importsOf(file: string): string[] {
  return specifiersOf(file, false);
}

/** Specifiers of every import and re-export, `import type` included. */
function dependenciesOf(file: string): string[] {
  return specifiersOf(file, true);
}

function specifiersOf(file: string, withTypes: boolean): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_SPECIFIER)]
    .filter((match) => withTypes || match[2] === undefined)
    .map((match) => match[3] ?? match[4] ?? match[5] ?? '');
}

const isSdk = (specifier: string) => /^(@azure\/|@microsoft\/|jose$)/.test(specifier);
const area = (file: string) => relative(srcRoot, file).split(sep).join('/');
const SRC_ALIAS = '#src/';

/** Where a specifier leads inside src/ (relative paths and the package.json `#src/*` alias), else the specifier itself. */
function targetOf(file: string, specifier: string): string {
  if (specifier.startsWith(SRC_ALIAS)) return specifier.slice(SRC_ALIAS.length);
  return specifier.startsWith('.') ? area(resolve(dirname(file), specifier)) : specifier;
}

const files = sourceFiles(srcRoot).map((file) => ({
  path: area(file),
  file,
  imports: importsOf(file),
  dependencies: dependenciesOf(file).map((specifier) => targetOf(file, specifier)),
}));

/** `from -> to` for every dependency (types included) of the files in `layer` that `forbidden` refuses. */
function layerViolations(layer: string, forbidden: (target: string) => boolean): string[] {
  return files
    .filter(({ path }) => path.startsWith(layer))
    .flatMap(({ path, dependencies }) => dependencies.filter(forbidden).map((target) => `${path} -> ${target}`));
}

describe('import direction', () => {
  it('finds the source files it checks', () => {
    expect(files.map(({ path }) => path)).toContain('functions/health.ts');
  });

  it('follows the #src/ alias like a relative path', () => {
    const file = join(srcRoot, 'shared', 'services', 'x.ts');
    expect(targetOf(file, '#src/shared/adapters/y.js')).toBe('shared/adapters/y.js');
    expect(targetOf(file, '../adapters/y.js')).toBe('shared/adapters/y.js');
  });

  it('src/shared never imports @azure/functions or src/functions', () => {
    const violations = files
      .filter(({ path }) => path.startsWith('shared/'))
      .flatMap(({ path, file, imports }) =>
        imports
          .filter((specifier) => specifier === '@azure/functions' || targetOf(file, specifier).startsWith('functions/'))
          .map((specifier) => `${path} -> ${specifier}`),
      );
    expect(violations).toEqual([]);
  });

  it('only src/shared/adapters imports SDK packages (src/functions only @azure/functions)', () => {
    const violations = files
      .filter(({ path }) => !path.startsWith('shared/adapters/'))
      .flatMap(({ path, imports }) =>
        imports
          .filter((specifier) => isSdk(specifier))
          .filter((specifier) => !(path.startsWith('functions/') && specifier === '@azure/functions'))
          .map((specifier) => `${path} -> ${specifier}`),
      );
    expect(violations).toEqual([]);
  });

  it('only src/shared/config.ts reads process.env', () => {
    const readers = files.filter(({ file }) => /process\.env/.test(readFileSync(file, 'utf8'))).map(({ path }) => path);
    expect(readers).toEqual(['shared/config.ts']);
  });

  it('services and the domain never import adapters or the runtime, not even their types', () => {
    const outward = (target: string) => target.startsWith('shared/adapters/') || target.startsWith('shared/runtime/');
    expect([...layerViolations('shared/services/', outward), ...layerViolations('shared/domain/', outward)]).toEqual(
      [],
    );
  });

  it('adapters never import services (they implement ports; services call them)', () => {
    expect(layerViolations('shared/adapters/', (target) => target.startsWith('shared/services/'))).toEqual([]);
  });

  it('ports name only the domain and each other', () => {
    expect(
      layerViolations('shared/ports/', (target) => !/^shared\/(ports|domain|errors)(\/|\.js$)/.test(target)),
    ).toEqual([]);
  });

  it('the domain imports only the domain, presentation and port types', () => {
    const inward = /^shared\/(domain|presentation|ports)\//;
    const violations = files
      .filter(({ path }) => path.startsWith('shared/domain/'))
      .flatMap(({ path, file, imports, dependencies }) => [
        // Packages (node:crypto for hashes) are the SDK rule's business; here only src/ counts.
        ...dependencies
          .filter(
            (target) => target.startsWith('shared/') || target.startsWith('functions/') || target.startsWith('cli/'),
          )
          .filter((target) => !inward.test(target))
          .map((target) => `${path} -> ${target}`),
        // Ports hold error classes too: the domain may name their types, never load them.
        ...imports
          .filter((specifier) => targetOf(file, specifier).startsWith('shared/ports/'))
          .map((specifier) => `${path} -> ${specifier} (value import)`),
      ]);
    expect(violations).toEqual([]);
  });

  it('the layer rules see type imports (a service importing an adapter type is found)', () => {
    const tokenService = files.find(({ path }) => path === 'shared/services/token/tokenService.ts');
    expect(tokenService?.dependencies).toContain('shared/ports/index.js');
  });
});
