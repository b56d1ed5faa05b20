// A tiny app for the local-host tests: a keyed HTTP function with route parameters and a timer,
// which keyrelay itself does not have yet. Built with the same esbuild settings as the real app.
import { app } from '@azure/functions';

app.http('echoItem', {
  route: 'items/{id}/{detail?}',
  methods: ['GET', 'POST'],
  authLevel: 'function',
  handler: async (request) => ({
    status: 200,
    jsonBody: {
      params: request.params,
      method: request.method,
      query: request.query.get('q'),
      body: await request.text(),
    },
    cookies: [{ name: 'fixture', value: 'baked', httpOnly: true, secure: true, sameSite: 'Lax', path: '/' }],
  }),
});

app.timer('tick', {
  schedule: '0 0 6 * * *',
  handler: (timer, context) => {
    context.log(`tick ran (isPastDue=${String(timer.isPastDue)})`);
  },
});
