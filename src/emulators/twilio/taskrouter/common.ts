import type { FastifyRequest } from 'fastify';
import { productBase, selfPath, type Env } from '../env.js';
import { HttpError } from '../errors.js';
import { envelope, keysetPage, parsePaging, queryOf, type KeysetSpec, type PageRequest } from '../paging.js';

export const TASKROUTER_MAX_PAGE = 1000;

export type Params = Record<string, string>;

export function params(req: FastifyRequest): Params {
  return req.params as Params;
}

/** 404 unless the path names the emulated workspace. */
export function requireWorkspace(env: Env, req: FastifyRequest): void {
  const ws = params(req).WorkspaceSid;
  if (ws !== env.info.workspaceSid) throw new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);
}

export function notFoundError(req: FastifyRequest): HttpError {
  return new HttpError(404, 20404, `The requested resource ${req.url.split('?')[0] ?? ''} was not found`);
}

/** Runs a keyset-paged list and wraps it in the Twilio envelope. */
export function listResponse<T extends Record<string, unknown>>(
  env: Env,
  req: FastifyRequest,
  key: string,
  spec: KeysetSpec,
  render: (row: T) => unknown,
  maxPage = TASKROUTER_MAX_PAGE,
  page?: PageRequest,
  context?: unknown,
): Record<string, unknown> {
  const q = queryOf(req);
  const pr = page ?? parsePaging(q, maxPage);
  const res = keysetPage<T>(env.db, spec, pr);
  return envelope(key, res.rows.map(render), selfPath(req), q, pr, res, context);
}

export const trBase = (req: FastifyRequest): string => productBase(req, 'taskrouter');

/** Largest |epoch ms| a JavaScript Date can hold. */
const MAX_DATE_MS = 8.64e15;

/**
 * ISO-8601 (or epoch ms) query date → ms; 400 when unreadable or outside the date range. Twilio dates are "specified
 * in GMT" (spec text on StartDate/EndDate), so a date-time without an offset is read as UTC, not in the host's zone.
 */
export function parseDateParam(name: string, value: string | null): number | null {
  if (value === null || value === '') return null;
  const utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(utc);
  if (!Number.isFinite(t) || Math.abs(t) > MAX_DATE_MS) throw new HttpError(400, 20001, `Invalid ${name}: ${value}`);
  return t;
}

export function parseIntParam(name: string, value: string | null): number | null {
  if (value === null || value === '') return null;
  const v = Number(value);
  if (!Number.isInteger(v)) throw new HttpError(400, 20001, `Invalid ${name}: ${value}`);
  return v;
}

export function parseBoolParam(value: string | null): boolean | null {
  if (value === null || value === '') return null;
  return ['true', '1', 'yes'].includes(value.toLowerCase());
}
