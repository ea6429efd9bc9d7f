import type { Database } from 'better-sqlite3';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/** Query string of a request, keeping repeated keys. */
export function queryOf(req: FastifyRequest): URLSearchParams {
  const i = req.url.indexOf('?');
  return new URLSearchParams(i === -1 ? '' : req.url.slice(i + 1));
}

export type KeyValue = string | number | null;

/** Opaque keyset cursor carried in `PageToken`: the sort key of the row next to the page boundary. */
export interface Cursor {
  /** Sort key values. */
  k: KeyValue[];
  /** `n`: rows after k (next page); `p`: rows before k (previous page). */
  d: 'n' | 'p';
  /** Request context frozen at the first page (e.g. the Events time window). */
  x?: unknown;
}

export interface PageRequest {
  pageSize: number;
  page: number;
  cursor: Cursor | null;
}

export function encodeToken(c: Cursor): string {
  return `PA${Buffer.from(JSON.stringify(c)).toString('base64url')}`;
}

export function decodeToken(token: string): Cursor | null {
  if (!token.startsWith('PA')) return null;
  try {
    const c = JSON.parse(Buffer.from(token.slice(2), 'base64url').toString('utf8')) as Cursor;
    if (!Array.isArray(c.k) || (c.d !== 'n' && c.d !== 'p')) return null;
    return c;
  } catch {
    return null;
  }
}

/**
 * PageSize (default 50) is clamped to the API's maximum (the spec's `maximum`); see specs/OVERRIDES.md.
 * Non-numeric or < 1 PageSize, a bad Page or an unreadable PageToken → 400 (20001).
 */
export function parsePaging(q: URLSearchParams, max: number): PageRequest {
  const rawSize = q.get('PageSize');
  let pageSize = 50;
  if (rawSize !== null) {
    const n = Number(rawSize);
    if (!Number.isInteger(n) || n < 1) throw new HttpError(400, 20001, `Invalid PageSize: ${rawSize}`);
    pageSize = Math.min(n, max);
  }
  const rawPage = q.get('Page');
  let page = 0;
  if (rawPage !== null) {
    const n = Number(rawPage);
    if (!Number.isInteger(n) || n < 0) throw new HttpError(400, 20001, `Invalid Page: ${rawPage}`);
    page = n;
  }
  const token = q.get('PageToken');
  let cursor: Cursor | null = null;
  if (token !== null && token !== '') {
    cursor = decodeToken(token);
    if (!cursor) throw new HttpError(400, 20001, 'Invalid PageToken');
  }
  return { pageSize, page, cursor };
}

export interface OrderCol {
  /** SQL expression to sort on (must not be NULL). */
  expr: string;
  /** Name of the selected column carrying the same value (used to build the next cursor). */
  key: string;
  dir: 'asc' | 'desc';
}

export interface KeysetSpec {
  /** `SELECT … FROM …` without WHERE/ORDER/LIMIT. */
  select: string;
  where: string[];
  params: unknown[];
  /** Must end with a unique column so the order is total. */
  order: OrderCol[];
}

export interface PageResult<T> {
  rows: T[];
  hasNext: boolean;
  hasPrev: boolean;
  next: KeyValue[] | null;
  prev: KeyValue[] | null;
}

function boundary(order: OrderCol[], values: KeyValue[], after: boolean): { sql: string; params: unknown[] } {
  const ors: string[] = [];
  const params: unknown[] = [];
  // A redundant, non-strict bound on the first column lets SQLite start the index range at the cursor
  // (the OR expansion alone is only a filter, which would make deep pages cost like an OFFSET).
  const first = order[0];
  const lead = first ? `${first.expr} ${(first.dir === 'asc') === after ? '>=' : '<='} ? AND ` : '';
  if (first) params.push(values[0]);
  order.forEach((col, i) => {
    const ands: string[] = [];
    for (let j = 0; j < i; j++) {
      ands.push(`${order[j]?.expr} = ?`);
      params.push(values[j]);
    }
    const asc = col.dir === 'asc';
    ands.push(`${col.expr} ${asc === after ? '>' : '<'} ?`);
    params.push(values[i]);
    ors.push(`(${ands.join(' AND ')})`);
  });
  return { sql: `(${lead}(${ors.join(' OR ')}))`, params };
}

/** Keyset pagination: one indexed range scan per page, whatever the page number. */
export function keysetPage<T extends Record<string, unknown>>(db: Database, spec: KeysetSpec, page: PageRequest): PageResult<T> {
  const where = [...spec.where];
  const params = [...spec.params];
  const backwards = page.cursor?.d === 'p';
  if (page.cursor) {
    if (page.cursor.k.length !== spec.order.length) throw new HttpError(400, 20001, 'Invalid PageToken');
    const b = boundary(spec.order, page.cursor.k, !backwards);
    where.push(b.sql);
    params.push(...b.params);
  }
  const orderSql = spec.order
    .map((c) => `${c.expr} ${(c.dir === 'asc') !== backwards ? 'ASC' : 'DESC'}`)
    .join(', ');
  const sql = `${spec.select}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${orderSql} LIMIT ?`;
  const fetched = db.prepare(sql).all(...params, page.pageSize + 1) as T[];
  const more = fetched.length > page.pageSize;
  const rows = fetched.slice(0, page.pageSize);
  if (backwards) rows.reverse();
  const keyOf = (r: T | undefined): KeyValue[] | null => (r ? spec.order.map((c) => r[c.key] as KeyValue) : null);
  return {
    rows,
    hasNext: backwards ? true : more,
    hasPrev: backwards ? more : page.cursor !== null,
    next: keyOf(rows[rows.length - 1]),
    prev: keyOf(rows[0]),
  };
}

export interface ListMeta {
  page: number;
  page_size: number;
  first_page_url: string;
  previous_page_url: string | null;
  url: string;
  next_page_url: string | null;
  key: string;
}

/** The list envelope `{<key>: items, meta}` with absolute page URLs pointing back at the emulator. */
export function envelope<T>(
  key: string,
  items: T[],
  absPath: string,
  q: URLSearchParams,
  page: PageRequest,
  res: Pick<PageResult<unknown>, 'hasNext' | 'hasPrev' | 'next' | 'prev'>,
  context?: unknown,
): Record<string, unknown> {
  const filters = new URLSearchParams(q);
  for (const k of ['PageSize', 'Page', 'PageToken']) filters.delete(k);
  const build = (pageNo: number, token?: string): string => {
    const p = new URLSearchParams(filters);
    p.set('PageSize', String(page.pageSize));
    p.set('Page', String(pageNo));
    if (token) p.set('PageToken', token);
    return `${absPath}?${p.toString()}`;
  };
  const ctx = context === undefined ? {} : { x: context };
  const meta: ListMeta = {
    page: page.page,
    page_size: page.pageSize,
    first_page_url: build(0),
    previous_page_url:
      res.hasPrev && res.prev ? build(Math.max(0, page.page - 1), encodeToken({ k: res.prev, d: 'p', ...ctx })) : null,
    url: build(page.page, q.get('PageToken') ?? undefined),
    next_page_url: res.hasNext && res.next ? build(page.page + 1, encodeToken({ k: res.next, d: 'n', ...ctx })) : null,
    key,
  };
  return { [key]: items, meta };
}

/** Envelope for a list computed in memory (small, bounded lists). Cursor = index. */
export function arrayPage<T>(all: T[], page: PageRequest): PageResult<T> {
  const start = page.cursor ? Number(page.cursor.k[0] ?? 0) + (page.cursor.d === 'n' ? 1 : -page.pageSize) : 0;
  const from = Math.max(0, start);
  const rows = all.slice(from, from + page.pageSize);
  return {
    rows,
    hasNext: from + page.pageSize < all.length,
    hasPrev: from > 0,
    next: rows.length ? [from + rows.length - 1] : null,
    prev: [from],
  };
}
