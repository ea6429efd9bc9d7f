import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { installErrorHandling } from './httpErrors.js';

describe('installErrorHandling', () => {
  it('an internal error is logged with its path, never the query string (a ?token= credential), and answered as a bare 500', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString('utf8')); done(); } });
    const app = Fastify();
    installErrorHandling(app, createLogger({ destination: sink }), undefined, true);
    app.get('/api/dashboard/summary', async () => {
      throw new Error('boom');
    });
    try {
      const r = await app.inject({ method: 'GET', url: '/api/dashboard/summary?token=s3cr3t-dashboard-token&since=7d' });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toMatchObject({ error: { code: 'TAJO_INTERNAL' } });
      expect(r.body).not.toContain('boom');
      const log = lines.join('');
      expect(log).toContain('unhandled error in request');
      expect(log).toContain('/api/dashboard/summary');
      expect(log).not.toContain('s3cr3t-dashboard-token');
    } finally {
      await app.close();
    }
  });
});
