import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { generateMore, generateWorld } from './index.js';
import { DEFAULT_NOW, hashTables } from './testkit.js';

const MIN = 60_000;

describe('generateMore', () => {
  it('appends only new interactions after the previous latest event and returns the full truth', () => {
    const db = new Database(':memory:');
    const before = generateWorld(db, { seed: 9, scale: 'small', nowMs: DEFAULT_NOW });
    const oldTasks = db.prepare('SELECT * FROM tasks ORDER BY sid').all();
    const oldEvents = db.prepare('SELECT * FROM events ORDER BY seq').all();
    const latest = (db.prepare('SELECT MAX(event_date_ms) AS m FROM events').get() as { m: number }).m;
    const countMsgs = (): number => (db.prepare('SELECT COUNT(*) AS n FROM messages WHERE date_created_ms <= ?').get(latest) as { n: number }).n;
    const countConvs = (): number => (db.prepare('SELECT COUNT(*) AS n FROM conversations WHERE date_created_ms <= ?').get(latest) as { n: number }).n;
    const [msgs0, convs0] = [countMsgs(), countConvs()];
    const now2 = DEFAULT_NOW + 45 * MIN;
    const after = generateMore(db, { seed: 9, nowMs: now2, count: 25 });

    // old rows untouched (pending surveys stay pending)
    const stillThere = db.prepare('SELECT * FROM tasks WHERE sid = ?');
    for (const t of oldTasks as Array<{ sid: string }>) expect(stillThere.get(t.sid)).toEqual(t);
    expect(db.prepare(`SELECT * FROM events WHERE seq <= ${oldEvents.length} ORDER BY seq`).all()).toEqual(oldEvents);

    const fresh = db.prepare('SELECT * FROM events WHERE seq > ?').all(oldEvents.length) as Array<{ event_date_ms: number; event_type: string }>;
    expect(fresh.length).toBeGreaterThan(25 * 4);
    for (const e of fresh) {
      expect(e.event_date_ms).toBeGreaterThan(latest);
      expect(e.event_date_ms).toBeLessThanOrEqual(now2);
    }
    expect([countMsgs(), countConvs()]).toEqual([msgs0, convs0]);
    expect(fresh.filter((e) => e.event_type === 'task.created').length).toBeGreaterThanOrEqual(25);
    expect(after.counts.interactions).toBe(before.counts.interactions + 25);
    expect(after.nowMs).toBe(now2);
    const ticketSum = after.contacts.reduce((s, c) => s + Number(c.attributes.SUPPORT_TICKET_COUNT), 0);
    expect(ticketSum).toBe(after.counts.interactions - after.counts.deadLetters);
    // returning customers: some existing contacts gained a ticket, and new contacts appeared
    const old = new Map(before.contacts.map((c) => [c.ext_id, Number(c.attributes.SUPPORT_TICKET_COUNT)]));
    const grown = after.contacts.filter((c) => old.has(c.ext_id) && Number(c.attributes.SUPPORT_TICKET_COUNT) > (old.get(c.ext_id) ?? 0));
    expect(grown.length).toBeGreaterThan(0);
    expect(after.contacts.length).toBeGreaterThan(before.contacts.length);
    const requested = new Set(before.events.map((e) => e.properties.tajo_id));
    expect(after.events.filter((e) => !requested.has(e.properties.tajo_id)).every((e) => Date.parse(e.event_date) > latest)).toBe(true);
    expect((db.prepare("SELECT value FROM meta WHERE key = 'now_ms'").get() as { value: string }).value).toBe(String(now2));
  });

  it('dates no new row at or before fromMs (the moment the world was last read), however far back the latest activity is', () => {
    const db = new Database(':memory:');
    generateWorld(db, { seed: 9, scale: 'small', nowMs: DEFAULT_NOW });
    const fromMs = DEFAULT_NOW + 30 * MIN;
    const tables = ['events:event_date_ms', 'tasks:date_created_ms', 'reservations:date_created_ms', 'conversations:date_created_ms',
      'participants:date_created_ms', 'messages:date_created_ms'];
    const upTo = (): number[] => tables.map((tc) => {
      const [table, col] = tc.split(':') as [string, string];
      return (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${col} <= ?`).get(fromMs) as { n: number }).n;
    });
    const before = upTo();
    const eventsBefore = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const truth = generateMore(db, { seed: 9, fromMs, nowMs: fromMs + 15 * MIN, count: 10 });
    expect(upTo()).toEqual(before);
    // a worker whose state the batch changed changed it after fromMs
    const workers = db.prepare('SELECT MIN(date_updated_ms) AS m FROM workers WHERE date_updated_ms > ?').get(DEFAULT_NOW) as { m: number | null };
    if (workers.m !== null) expect(workers.m).toBeGreaterThan(fromMs);
    expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBeGreaterThan(eventsBefore + 40);
    expect((db.prepare('SELECT MAX(event_date_ms) AS m FROM events').get() as { m: number }).m).toBeLessThanOrEqual(fromMs + 15 * MIN);
    expect(truth.nowMs).toBe(fromMs + 15 * MIN);
  });

  it('is deterministic and can be repeated', () => {
    const run = (): Database.Database => {
      const db = new Database(':memory:');
      generateWorld(db, { seed: 4, scale: 'small', nowMs: DEFAULT_NOW });
      generateMore(db, { seed: 4, nowMs: DEFAULT_NOW + 30 * MIN, count: 10 });
      generateMore(db, { seed: 4, nowMs: DEFAULT_NOW + 60 * MIN, count: 10 });
      return db;
    };
    const a = run();
    expect(hashTables(a)).toBe(hashTables(run()));
    const sids = a.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT sid) AS d FROM tasks').get() as { n: number; d: number };
    expect(sids.n).toBe(sids.d);
  });

  it('refuses a window that is too short or a missing world', () => {
    const db = new Database(':memory:');
    expect(() => generateMore(db, { seed: 1, nowMs: DEFAULT_NOW, count: 1 })).toThrow(/generateWorld/);
    generateWorld(db, { seed: 1, scale: 'small', nowMs: DEFAULT_NOW });
    const latest = (db.prepare('SELECT MAX(event_date_ms) AS m FROM events').get() as { m: number }).m;
    expect(() => generateMore(db, { seed: 1, nowMs: latest + 2 * MIN, count: 1 })).toThrow(RangeError);
    expect(() => generateWorld(db, { seed: 1, scale: 'small', nowMs: DEFAULT_NOW })).toThrow(/already/);
  });
});
