import type { BrevoContext } from './context.js';
import { badRequest } from './errors.js';
import type { StoredEvent } from './types.js';

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function bound(v: unknown, name: string, endOfDay: boolean): number {
  const s = String(v);
  const t = Date.parse(DAY_RE.test(s) ? `${s}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : s);
  if (Number.isNaN(t)) throw badRequest(`${name} must be YYYY-MM-DD or RFC3339`);
  return t;
}

/**
 * `GET /events` (SDK v6 `getEvents`; not in the spec copy): filters by contact_id, event_name, object_type and an
 * event_date range (startDate and endDate go together; default: the last 6 months), newest first, `limit` ≤ 10000.
 */
export function registerEventQueryRoutes(ctx: BrevoContext): void {
  ctx.route('GET', '/events', ({ params }) => {
    if ((params.startDate === undefined) !== (params.endDate === undefined)) {
      throw badRequest('startDate and endDate must be passed together', 'missing_parameter');
    }
    const now = ctx.clock.nowMs();
    const from = params.startDate === undefined ? now - 183 * 86_400_000 : bound(params.startDate, 'startDate', false);
    const to = params.endDate === undefined ? Infinity : bound(params.endDate, 'endDate', true);
    if (from > to) throw badRequest('startDate must be before endDate');
    const contactIds = new Set((params.contact_id as number[] | undefined) ?? []);
    const names = new Set((params.event_name as string[] | undefined) ?? []);
    const types = new Set((params.object_type as string[] | undefined) ?? []);
    const objectType = (e: StoredEvent) => (e.object as { type?: unknown } | undefined)?.type;
    const hits: { e: StoredEvent; t: number }[] = [];
    for (const e of ctx.store.events) {
      if (contactIds.size && !contactIds.has(e.contactId)) continue;
      if (names.size && !names.has(e.event_name)) continue;
      if (types.size && !types.has(String(objectType(e)))) continue;
      const t = Date.parse(e.event_date);
      if (t < from || t > to) continue;
      hits.push({ e, t });
    }
    hits.sort((a, b) => b.t - a.t);
    const offset = (params.offset as number | undefined) ?? 0;
    const limit = (params.limit as number | undefined) ?? 100;
    const events = hits.slice(offset, offset + limit).map(({ e }) => ({
      contact_id: e.contactId,
      event_date: e.event_date,
      event_name: e.event_name,
      ...(typeof objectType(e) === 'string' ? { object_type: objectType(e) as string } : {}),
      event_properties: e.event_properties ?? {},
      contact_properties: e.contact_properties ?? {},
    }));
    return { status: 200, body: { events, count: hits.length } };
  });
}
