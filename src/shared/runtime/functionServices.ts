// The one module the function handlers import lazily (`await import`): every SDK-backed service sits
// behind it, so the bundle keeps them in a single chunk that loads on the first request that needs it,
// and starting the worker or answering `health` loads none of them (npm run bench, P1).
export { getConnectService, parseConnectQuery } from './connect.js';
export { getMailboxesService, parseMailboxesRequest } from './mailboxes.js';
export { getMonitorFeature } from './monitor.js';
export { getTokenService } from './token.js';
