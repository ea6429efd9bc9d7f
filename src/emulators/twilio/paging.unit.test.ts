import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HttpError } from './errors.js';
import { decodeToken, encodeToken, keysetPage, parsePaging, type KeysetSpec, type KeyValue, type PageRequest } from './paging.js';
import { compileExpression } from './taskrouter/expression.js';

function db(): Database.Database {
  const d = new Database(':memory:');
  d.exec('CREATE TABLE t (id TEXT PRIMARY KEY, at INTEGER NOT NULL, attrs TEXT NOT NULL)');
  const ins = d.prepare('INSERT INTO t VALUES (?, ?, ?)');
  for (let i = 0; i < 25; i++) ins.run(`r${String(i).padStart(2, '0')}`, Math.floor(i / 3), JSON.stringify({ n: i, skills: i % 2 ? ['sales'] : ['support'], tier: i % 5 === 0 ? 'gold' : 'std' }));
  ins.run('bad', 99, 'not json');
  return d;
}

describe('keyset paging', () => {
  const spec = (dir: 'asc' | 'desc'): KeysetSpec => ({ select: 'SELECT * FROM t', where: ["id != 'bad'"], params: [], order: [{ expr: 'at', key: 'at', dir }, { expr: 'id', key: 'id', dir }] });

  for (const dir of ['asc', 'desc'] as const) {
    it(`walks every row once forwards and back (${dir}, ties on the first key)`, () => {
      const d = db();
      const seen: string[] = [];
      let page: PageRequest = { pageSize: 4, page: 0, cursor: null };
      const pages: string[][] = [];
      const nexts: KeyValue[][] = [];
      for (;;) {
        const r = keysetPage<{ id: string; at: number }>(d, spec(dir), page);
        pages.push(r.rows.map((x) => x.id));
        nexts.push(r.next ?? []);
        seen.push(...r.rows.map((x) => x.id));
        if (!r.hasNext || !r.next) break;
        page = { pageSize: 4, page: page.page + 1, cursor: { k: r.next, d: 'n' } };
      }
      const all = (d.prepare(`SELECT id FROM t WHERE id != 'bad' ORDER BY at ${dir}, id ${dir}`).all() as { id: string }[]).map((x) => x.id);
      expect(seen).toEqual(all);
      expect(pages).toHaveLength(7);
      // Back from page 3 to page 2.
      const p3 = keysetPage<{ id: string; at: number }>(d, spec(dir), { pageSize: 4, page: 2, cursor: { k: nexts[1] ?? [], d: 'n' } });
      expect(p3.rows.map((x) => x.id)).toEqual(pages[2]);
      const back = keysetPage<{ id: string }>(d, spec(dir), { pageSize: 4, page: 1, cursor: { k: p3.prev ?? [], d: 'p' } });
      expect(back.rows.map((x) => x.id)).toEqual(pages[1]);
      expect(back.hasPrev).toBe(true);
    });
  }

  it('tokens round-trip; PageSize is clamped; bad values are 400', () => {
    const t = encodeToken({ k: [5, 'WTx'], d: 'n', x: [1, 2] });
    expect(t.startsWith('PA')).toBe(true);
    expect(decodeToken(t)).toEqual({ k: [5, 'WTx'], d: 'n', x: [1, 2] });
    expect(decodeToken('PAnot-json')).toBeNull();
    expect(parsePaging(new URLSearchParams('PageSize=5000'), 1000).pageSize).toBe(1000);
    expect(parsePaging(new URLSearchParams(''), 100).pageSize).toBe(50);
    for (const q of ['PageSize=0', 'PageSize=abc', 'Page=-1', 'PageToken=xyz']) expect(() => parsePaging(new URLSearchParams(q), 100)).toThrow(HttpError);
  });
});

describe('TaskRouter expressions', () => {
  const ids = (expr: string): string[] => {
    const c = compileExpression(expr, 'attrs');
    return (db().prepare(`SELECT id FROM t WHERE ${c.sql} ORDER BY id`).all(...c.params) as { id: string }[]).map((r) => r.id);
  };
  it('evaluates comparisons, HAS, IN, AND/OR, and never matches malformed JSON', () => {
    expect(ids('1==1')).toHaveLength(26);
    expect(ids('tier == "gold"')).toEqual(['r00', 'r05', 'r10', 'r15', 'r20']);
    expect(ids("skills HAS 'sales' AND n < 6")).toEqual(['r01', 'r03', 'r05']);
    expect(ids('n IN [1, 2] OR tier == "gold" and n > 15')).toEqual(['r01', 'r02', 'r20']);
    expect(ids('(n >= 23) || (n NOT IN [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23] && n != 99)')).toEqual(['r23', 'r24']);
    expect(() => compileExpression('n ===', 'attrs')).toThrow(HttpError);
  });
});
