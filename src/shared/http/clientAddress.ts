// The browser's address, for the per-client connect limit. Azure's front end overwrites
// X-Azure-ClientIP and appends the address it saw to X-Forwarded-For (a client may prepend anything), so
// the last X-Forwarded-For entry is the one to trust when X-Azure-ClientIP is absent. Without either (the
// local host), every client shares one bucket.
export function clientAddressOf(headers: { get(name: string): string | null }): string | undefined {
  const azure = headers.get('x-azure-clientip')?.trim();
  if (azure) return azure;
  const last = headers.get('x-forwarded-for')?.split(',').at(-1)?.trim();
  if (!last) return undefined;
  // IPv4 with a port ("203.0.113.7:51234"); IPv6 comes bracketed with a port or bare without one.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(last);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  return /^[\d.]+:\d+$/.test(last) ? last.slice(0, last.lastIndexOf(':')) : last;
}
