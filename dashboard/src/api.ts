/** The read-only dashboard API (`/api/dashboard/*`), with the page's range, queue and token. */
import type { Report, SyncHealth } from '../../src/analytics/types.js';

export interface Params {
  since?: string;
  until?: string;
  queue?: string;
  by?: 'day' | 'hour';
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TOKEN_KEY = 'tajo.dashboard.token';

/** A `?token=` in the page URL is kept for the session and removed from the address bar (it would leak in screenshots). */
export function takeToken(): string | undefined {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export async function fetchSection<T = Report>(section: string, p: Params, token: string | undefined): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v) q.set(k, v);
  const res = await fetch(`/api/dashboard/${section}?${q.toString()}`, {
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    cache: 'no-store',
  });
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  return body as T;
}

export type { Report, SyncHealth };
