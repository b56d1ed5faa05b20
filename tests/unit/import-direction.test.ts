// STYLE.md habit 2: the import direction tells which file is which. Only src/functions touches the
// Functions runtime; only src/shared/adapters loads SDKs; only config.ts reads process.env.
// `import type` is erased by the build and loads nothing, so it is not counted as a dependency.
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
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_SPECIFIER)]
    .filter((match) => match[2] === undefined)
    .map((match) => match[3] ?? match[4] ?? match[5] ?? '');
}

const isSdk = (specifier: string) => /^(@azure\/|@microsoft\/|jose$)/.test(specifier);
const area = (file: string) => relative(srcRoot, file).split(sep).join('/');

const files = sourceFiles(srcRoot).map((file) => ({ path: area(file), file, imports: importsOf(file) }));

describe('import direction', () => {
  it('finds the source files it checks', () => {
    expect(files.map(({ path }) => path)).toContain('functions/health.ts');
  });

  it('src/shared never imports @azure/functions or src/functions', () => {
    const violations = files
      .filter(({ path }) => path.startsWith('shared/'))
      .flatMap(({ path, file, imports }) =>
        imports
          .filter(
            (specifier) =>
              specifier === '@azure/functions' ||
              (specifier.startsWith('.') && area(resolve(dirname(file), specifier)).startsWith('functions/')),
          )
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
    const readers = files
      .filter(({ file }) => /process\.env/.test(readFileSync(file, 'utf8')))
      .map(({ path }) => path);
    expect(readers).toEqual(['shared/config.ts']);
  });
});
