// Loader hooks for bench/p1-probe.mjs: records every module URL the ESM loader loads.
const loaded = [];

export function initialize({ port }) {
  port.on('message', () => port.postMessage(loaded));
  port.unref();
}

export async function load(url, context, nextLoad) {
  loaded.push(url);
  return nextLoad(url, context);
}
