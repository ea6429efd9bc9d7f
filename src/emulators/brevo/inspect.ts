import type { FastifyPluginCallback } from 'fastify';
import type { BrevoRequestLog } from './requestLog.js';
import type { BrevoState } from './store.js';

export interface InspectHandlers {
  state(): Promise<BrevoState>;
  requestLog(): BrevoRequestLog;
  reset(): void;
}

/**
 * Inspection endpoints, mounted at the app root (default `/_emulator/brevo`), no api-key, no budget:
 * `GET /state`, `GET /requests`, `POST /reset`.
 */
export function inspectPlugin(h: InspectHandlers): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, next) => next(null, body));
    app.get('/state', async () => h.state());
    app.get('/requests', async () => h.requestLog());
    app.post('/reset', async (_req, reply) => {
      h.reset();
      return reply.code(204).send();
    });
    done();
  };
}
