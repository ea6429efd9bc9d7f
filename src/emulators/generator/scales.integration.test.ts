/** The two big presets, on real SQLite files: reference counts, and a bounded slice of the large preset. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePhoneNumber } from 'awesome-phonenumber';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWorld, streamTruthEvents } from './index.js';
import { DEFAULT_NOW } from './testkit.js';

const dir = mkdtempSync(join(tmpdir(), 'tajo-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 86_400_000;

describe('reference preset', () => {
  it('has exactly the product doc\'s sizes, within the Events API retention', () => {
    const db = new Database(join(dir, 'reference.db'));
    const cpu = process.cpuUsage();
    const truth = generateWorld(db, { seed: 2024, scale: 'reference', nowMs: DEFAULT_NOW });
    expect(process.cpuUsage(cpu).user / 1000).toBeLessThan(40_000);
    expect(truth.counts).toMatchObject({ interactions: 12_400, customers: 8_900, agents: 45 });
    expect(truth.contacts).toHaveLength(8_900);
    const q = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    expect(q("SELECT COUNT(*) AS n FROM tasks WHERE lower(attributes) NOT LIKE '%\"kind\":\"survey\"%'")).toBe(12_400);
    expect(q('SELECT COUNT(*) AS n FROM workers')).toBe(45);
    expect(q('SELECT MIN(event_date_ms) AS n FROM events')).toBeGreaterThan(DEFAULT_NOW - 29 * DAY);
    expect(q('SELECT MAX(event_date_ms) AS n FROM events')).toBeLessThanOrEqual(DEFAULT_NOW);
    const valid = truth.counts.interactions - truth.counts.deadLetters;
    const share = (ch: 'voice' | 'sms' | 'whatsapp' | 'webchat'): number => truth.metrics.channels[ch] / valid;
    expect(share('voice')).toBeGreaterThan(0.38);
    expect(share('sms')).toBeGreaterThan(0.2);
    expect(share('whatsapp')).toBeGreaterThan(0.14);
    expect(share('webchat')).toBeGreaterThan(0.1);
    expect(truth.contacts.reduce((s, c) => s + Number(c.attributes.SUPPORT_TICKET_COUNT), 0)).toBe(valid);
    expect(truth.deadLetters.length / truth.counts.interactions).toBeCloseTo(0.005, 2);
    expect(truth.counts.surveys / valid).toBeGreaterThan(0.2);
    expect(truth.counts.surveysLate).toBeGreaterThan(0);
    expect(truth.counts.surveysAbsent).toBeGreaterThan(0);
    let phones = 0;
    for (const r of db.prepare('SELECT data FROM gen_customers').all() as Array<{ data: string }>) {
      const phone = (JSON.parse(r.data) as { phone: string | null }).phone;
      if (phone === null) continue;
      phones++;
      expect(parsePhoneNumber(phone).number?.e164, phone).toBe(phone);
      expect(parsePhoneNumber(phone).valid, phone).toBe(true);
    }
    expect(phones).toBeGreaterThan(8_000);
    // streaming the events gives the same multiset as the array
    let n = 0;
    for (const e of streamTruthEvents(db, DEFAULT_NOW)) if (e.name) n++;
    expect(n).toBe(truth.events.length);
    db.close();
  }, 300_000);
});

describe('large preset (2-day slice)', () => {
  it('writes day by day into a file with bounded memory', () => {
    const path = join(dir, 'large.db');
    const db = new Database(path);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const truth = generateWorld(db, { seed: 77, scale: 'large', nowMs: DEFAULT_NOW, options: { days: 2, marginMs: 0, interactions: 6_600, customers: 4_000 } });
    clearInterval(timer);
    expect(truth.events).toEqual([]);
    expect(truth.counts.events).toBeGreaterThan(6_600 * 2);
    expect(truth.counts.agents).toBe(150);
    expect(truth.counts.taskrouterEvents).toBeGreaterThan(60_000);
    expect(peak - rss0).toBeLessThan(400 * 1024 * 1024);
    db.close();
    const again = new Database(path, { readonly: true });
    expect((again.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(truth.counts.taskrouterEvents);
    const idx = again.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_date'").get();
    expect(idx).toBeDefined();
    again.close();
  }, 300_000);
});
