import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { replyError } from './httpErrors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/**
 * Serves the built dashboard (static files) under `/dashboard/`. The files hold no data: the dashboard reads
 * everything through the authenticated `/api/v1`. Paths are confined to `dir`.
 */
export function registerDashboard(app: FastifyInstance, dir: string): void {
  const root = resolve(dir);
  const serve = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const rel = decodeURIComponentSafe((req.params as { '*'?: string })['*'] ?? '') || 'index.html';
    const file = resolve(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return replyError(reply, 'TAJO_ROUTE_NOT_FOUND');
    try {
      const st = await stat(file);
      const path = st.isDirectory() ? join(file, 'index.html') : file;
      const body = await readFile(path);
      return reply.type(TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream').header('cache-control', 'no-cache').send(body);
    } catch {
      return replyError(reply, 'TAJO_ROUTE_NOT_FOUND');
    }
  };
  // the router ignores trailing slashes: /dashboard and /dashboard/ both serve index.html
  app.get('/dashboard', serve);
  app.get('/dashboard/*', serve);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '\u0000';
  }
}
