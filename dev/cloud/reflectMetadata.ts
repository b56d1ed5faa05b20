// @peculiar/x509 uses tsyringe, which refuses to load without a Reflect metadata polyfill, and the
// project does not depend on `reflect-metadata`. tsyringe only stores and reads constructor metadata,
// so this minimal per-target map is enough. Import it before '@peculiar/x509'.
type MetadataKey = string | symbol;
const store = new WeakMap<object, Map<MetadataKey, unknown>>();
const reflect = Reflect as unknown as Record<string, unknown>;

function own(target: object): Map<MetadataKey, unknown> | undefined {
  return store.get(target);
}

if (typeof reflect.getMetadata !== 'function') {
  reflect.defineMetadata = (key: MetadataKey, value: unknown, target: object): void => {
    let entries = store.get(target);
    if (!entries) store.set(target, (entries = new Map<MetadataKey, unknown>()));
    entries.set(key, value);
  };
  reflect.getOwnMetadata = (key: MetadataKey, target: object): unknown => own(target)?.get(key);
  reflect.getMetadata = (key: MetadataKey, target: object): unknown => {
    for (let current: object | null = target; current; current = Object.getPrototypeOf(current) as object | null) {
      const entries = own(current);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  };
}

export {};
