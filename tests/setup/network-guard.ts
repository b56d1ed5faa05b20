// Every test talks only to servers on this machine (the local cloud, Azurite, the local host). This
// guard refuses, in each test process, any socket or DNS lookup aimed elsewhere, and fails the test
// even when the code under test swallows the refusal (an SDK retry loop, a catch-all).
import dns from 'node:dns';
import net from 'node:net';
import { afterEach } from 'vitest';

const violations: string[] = [];

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

function refuse(what: string, target: string): Error {
  const message = `network-guard: ${what} to non-loopback "${target}" refused; tests may only reach 127.0.0.1 / localhost`;
  violations.push(message);
  return new Error(message);
}

/** Host of a net.Socket#connect call, or undefined for a unix socket / pipe. */
function connectTarget(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === 'object') {
    const options = first as { host?: unknown; path?: unknown };
    if (typeof options.path === 'string') return undefined;
    return typeof options.host === 'string' ? options.host : 'localhost';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a pipe path
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

// Taken as a plain function value: it is always re-bound to the socket through apply().
const originalConnect = Object.getOwnPropertyDescriptor(net.Socket.prototype, 'connect')?.value as (
  ...a: unknown[]
) => net.Socket;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const host = connectTarget(args);
  if (host !== undefined && !isLoopbackHost(host)) throw refuse('connection', host);
  return originalConnect.apply(this, args);
};

const originalLookup = dns.lookup;
dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]): void {
  if (!isLoopbackHost(hostname)) throw refuse('DNS lookup', hostname);
  (originalLookup as (...a: unknown[]) => void).call(dns, hostname, ...rest);
} as typeof dns.lookup;

const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = function guardedPromisesLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopbackHost(hostname)) return Promise.reject(refuse('DNS lookup', hostname));
  return (originalPromisesLookup as (...a: unknown[]) => Promise<unknown>).call(dns.promises, hostname, ...rest);
} as typeof dns.promises.lookup;

/** Hands the recorded refusals to a test that provokes one on purpose (so afterEach does not fail it). */
export function takeNetworkViolations(): string[] {
  return violations.splice(0);
}

afterEach(() => {
  if (violations.length === 0) return;
  const found = violations.splice(0);
  throw new Error(found.join('\n'));
});
