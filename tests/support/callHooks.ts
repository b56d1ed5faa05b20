// Test-only port wrappers that let a test interleave two runs deterministically: run code before or after
// a chosen call of a port method (e.g. start a second run there), or hold one run at that point until the
// test releases it. No timers: the held run waits on a promise the test resolves.

export interface Gate {
  /** Resolves once a run is held at the gate. */
  readonly reached: Promise<void>;
  /** Lets the held run continue. */
  release(): void;
  /** Called by the wrapped port: signals `reached` and waits for `release`. */
  hold(): Promise<void>;
}

export function gate(): Gate {
  let signalReached!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (signalReached = resolve));
  const released = new Promise<void>((resolve) => (open = resolve));
  return {
    reached,
    release: () => open(),
    hold: () => {
      signalReached();
      return released;
    },
  };
}

type AsyncMethodKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

interface Hooks<A extends unknown[]> {
  /** Runs before the call; `call` counts from 1. */
  before?: (args: A, call: number) => Promise<void> | void;
  /** Runs after the call returned, before its caller sees the result. */
  after?: (args: A, call: number) => Promise<void> | void;
}

/** `target` with hooks around one async method; every other member is the target's own. */
export function withHooks<T extends object, K extends AsyncMethodKeys<T>>(
  target: T,
  method: K,
  hooks: Hooks<T[K] extends (...args: infer A) => Promise<unknown> ? A : never>,
): T {
  let calls = 0;
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(object);
      if (property !== method) return bound;
      return async (...args: never) => {
        calls += 1;
        const call = calls;
        await hooks.before?.(args, call);
        const result = await bound(...(args as unknown[]));
        await hooks.after?.(args, call);
        return result;
      };
    },
  });
}

/** `target` with hooks around every async method: `before` may throw (a dead process), `after` may pause. */
export function aroundEveryCall<T extends object>(
  target: T,
  hooks: { before?: (method: string) => void; after?: (method: string) => Promise<void> | void },
): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => Promise<unknown>).bind(object);
      return async (...args: unknown[]) => {
        hooks.before?.(String(property));
        const result = await method(...args);
        await hooks.after?.(String(property));
        return result;
      };
    },
  });
}
