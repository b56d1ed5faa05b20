// Handlers reach the SDK-backed services through this one memoized dynamic import: the chunk loads on
// the first request that needs it, and later requests skip module resolution altogether (a dynamic
// import() resolves its specifier again on every call, which costs on the hot token path).
import type * as FunctionServicesModule from './functionServices.js';

type FunctionServices = typeof FunctionServicesModule;

let loading: Promise<FunctionServices> | undefined;

export function functionServices(): Promise<FunctionServices> {
  if (!loading) {
    loading = import('./functionServices.js');
    // A failed load (e.g. a transient file-system error) is retried by the next request.
    loading.catch(() => (loading = undefined));
  }
  return loading;
}
