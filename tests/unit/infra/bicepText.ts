// A small structural reader for the Bicep in infra/: enough to find resources, their conditions and
// their object properties. It is not a Bicep compiler (none is installable here); `az bicep build` in CI
// is the real syntax check.

export interface BicepResource {
  file: string;
  symbol: string;
  /** Full type with API version, e.g. `Microsoft.KeyVault/vaults@2023-07-01`. */
  type: string;
  existing: boolean;
  /** The expression inside `if (...)`, or undefined for an unconditional resource. */
  condition: string | undefined;
  /** Text between the outer braces of the resource body, comments blanked. */
  body: string;
}

/** Replaces comments with spaces (same length, newlines kept) so structure scans ignore them. */
export function blankComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'") {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (ch === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/** Index just past the closing quote of the single-quoted string starting at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === "'") return i + 1;
    else i += 1;
  }
  return text.length;
}

const OPENERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index just past the bracket that closes the one at `start` (comments must already be blanked). */
function endOfGroup(text: string, start: number): number {
  const stack: string[] = [];
  let i = start;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (ch === "'") {
      i = endOfString(text, i);
      continue;
    }
    const closer = OPENERS[ch];
    if (closer !== undefined) stack.push(closer);
    else if (ch === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
    i += 1;
  }
  throw new Error(`unbalanced bracket at offset ${start}`);
}

/** Every `resource` declaration in a file, including nested child resources. */
export function findResources(file: string, text: string): BicepResource[] {
  const code = blankComments(text);
  const resources: BicepResource[] = [];
  const header = /\bresource\s+(\w+)\s+'([^']+)'\s*(existing\s*)?=\s*/g;
  for (let match = header.exec(code); match !== null; match = header.exec(code)) {
    let at = header.lastIndex;
    let condition: string | undefined;
    if (code.startsWith('if', at)) {
      const open = code.indexOf('(', at);
      const close = endOfGroup(code, open);
      condition = code.slice(open + 1, close - 1).trim();
      at = close;
    }
    const open = code.indexOf('{', at);
    const close = endOfGroup(code, open);
    resources.push({
      file,
      symbol: match[1] ?? '',
      type: match[2] ?? '',
      existing: match[3] !== undefined,
      condition,
      body: code.slice(open + 1, close - 1),
    });
  }
  return resources;
}

/**
 * Top-level `key: value` pairs of an object body (text between braces). Values are raw expression text;
 * keys lose their quotes. A later duplicate key wins, as in Bicep it would be an error anyway.
 */
export function objectProperties(body: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const entry of splitTopLevel(body)) {
    const match = /^('([^']*)'|[A-Za-z_$][\w$]*)\s*:\s*([\s\S]*)$/.exec(entry);
    if (match === null) continue;
    properties.set(match[2] ?? match[1] ?? '', (match[3] ?? '').trim());
  }
  return properties;
}

/** Entries of an object or argument list, split at top-level newlines and commas. */
export function splitTopLevel(body: string): string[] {
  const entries: string[] = [];
  let start = 0;
  let i = 0;
  while (i < body.length) {
    const ch = body[i] ?? '';
    if (ch === "'") {
      i = endOfString(body, i);
      continue;
    }
    if (OPENERS[ch] !== undefined) {
      i = endOfGroup(body, i);
      continue;
    }
    if (ch === '\n' || ch === ',') {
      entries.push(body.slice(start, i));
      start = i + 1;
    }
    i += 1;
  }
  entries.push(body.slice(start));
  return entries.map((entry) => entry.trim()).filter((entry) => entry.length > 0);
}

/** The value at `path` inside nested object literals, or undefined when any step is missing or not an object. */
export function propertyAt(body: string, path: readonly string[]): string | undefined {
  let current: string | undefined = `{${body}}`;
  for (const key of path) {
    if (current === undefined || !current.startsWith('{') || !current.endsWith('}')) return undefined;
    current = objectProperties(current.slice(1, -1)).get(key);
  }
  return current;
}

/** Arguments of a call `name(a, b, c)` when `expression` is exactly such a call, else undefined. */
export function callArguments(expression: string, name: string): string[] | undefined {
  const trimmed = expression.trim();
  if (!trimmed.startsWith(`${name}(`)) return undefined;
  const open = name.length;
  if (endOfGroup(trimmed, open) !== trimmed.length) return undefined;
  return splitTopLevel(trimmed.slice(open + 1, -1));
}

/** `var name = 'literal'` declarations of a file. */
export function stringVariables(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const match of blankComments(text).matchAll(/^\s*var\s+(\w+)\s*=\s*'([^']*)'\s*$/gm)) {
    variables.set(match[1] ?? '', match[2] ?? '');
  }
  return variables;
}
