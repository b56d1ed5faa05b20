// Imported first by every file in src/functions: the settings are validated while the host loads the
// entry point, so a misconfigured app refuses to start (with one message naming every problem)
// instead of failing on its first request.
import { getConfig } from './config.js';

getConfig();
