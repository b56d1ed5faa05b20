// Liveness probe for load balancers and uptime checks: answers without touching any dependency and
// reveals nothing about the configuration.
import '../shared/validateConfigOnLoad.js';
import { app, type HttpResponseInit } from '@azure/functions';
import { jsonResult } from '../shared/http/index.js';

export function health(): HttpResponseInit {
  return jsonResult(200, { status: 'ok' });
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
