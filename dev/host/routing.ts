// The Functions host's HTTP routing (ASP.NET route templates): literal segments match
// case-insensitively, `{name}` binds one segment, `{name?}` an optional trailing one, `{*name}` the
// rest of the path; `{name:constraint}` constraints are accepted and the constraint is ignored.

export type RouteSegment =
  | { kind: 'literal'; text: string }
  | { kind: 'parameter'; name: string; optional: boolean }
  | { kind: 'catchAll'; name: string };

export interface RouteTemplate {
  template: string;
  segments: RouteSegment[];
}

const PARAMETER = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/;

export function parseRouteTemplate(template: string): RouteTemplate {
  const segments = template
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment): RouteSegment => {
      const parameter = PARAMETER.exec(segment);
      if (!parameter) return { kind: 'literal', text: segment.toLowerCase() };
      const [, catchAll, name = '', optional] = parameter;
      return catchAll ? { kind: 'catchAll', name } : { kind: 'parameter', name, optional: optional === '?' };
    });
  return { template, segments };
}

/** Route parameters when `path` (already without the route prefix) matches, else undefined. */
export function matchRoute(route: RouteTemplate, pathSegments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [index, segment] of route.segments.entries()) {
    const value = pathSegments[index];
    if (segment.kind === 'catchAll') {
      params[segment.name] = pathSegments.slice(index).join('/');
      return params;
    }
    if (value === undefined) {
      if (segment.kind === 'parameter' && segment.optional) continue;
      return undefined;
    }
    if (segment.kind === 'literal') {
      if (value.toLowerCase() !== segment.text) return undefined;
    } else {
      params[segment.name] = value;
    }
  }
  return pathSegments.length <= route.segments.length ? params : undefined;
}

/** Literal segments win over parameters (ASP.NET route precedence), then longer templates. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const literals = (route: RouteTemplate) => route.segments.filter((segment) => segment.kind === 'literal').length;
  return literals(b) - literals(a) || b.segments.length - a.segments.length;
}

/** Splits a URL path into decoded segments below the route prefix, or undefined outside the prefix. */
export function pathBelowPrefix(pathname: string, routePrefix: string): string[] | undefined {
  const segments = pathname
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => decodeURIComponent(segment));
  const prefix = routePrefix.split('/').filter((segment) => segment.length > 0);
  const matchesPrefix = prefix.every((part, index) => segments[index]?.toLowerCase() === part.toLowerCase());
  return matchesPrefix ? segments.slice(prefix.length) : undefined;
}
