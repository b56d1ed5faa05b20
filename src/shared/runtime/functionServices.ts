// The one module the function handlers import lazily (`await import`): every SDK-backed service sits
// behind it, so the bundle keeps them in a single chunk that loads on the first request that needs it,
// and starting the worker or answering `health` loads none of them (npm run bench, P1).
export { getApp } from './app.js';
export { parseConnectQuery } from './connect.js';
export { parseMailboxesRequest } from './mailboxes.js';
