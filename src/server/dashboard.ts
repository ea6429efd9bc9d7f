import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PAGE_HEADERS, TYPES } from './dashboardRoutes.js';
import { replyError } from './httpErrors.js';

/**
 * Serves the built dashboard (static files) under `/dashboard/`. The files hold no data: the dashboard reads
 * everything through the dashboard API (./dashboardRoutes.ts), and carry the same page headers as at `/`. Paths are confined to `dir`.
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
      return reply.type(TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream').header('cache-control', 'no-cache').headers(PAGE_HEADERS).send(body);
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
