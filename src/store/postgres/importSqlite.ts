/**
 * `tajo migrate --from sqlite`: copies an embedded SQLite store into Postgres, table by table, in batches.
 *
 * Both dialects have the same tables and columns (numbered migration twins), so the copy is generic: every table
 * but the per-process ones (migrations, leases, replicas, rate budgets), columns matched by name, values converted by
 * the Postgres column type (booleans from 0/1, JSON text into jsonb), ids kept (`OVERRIDING SYSTEM VALUE`, then the
 * identity sequences are moved past them). `ON CONFLICT DO NOTHING` makes it idempotent: a re-run (or a run
 * after an interruption) inserts only what is missing. Secrets are copied sealed: Postgres replicas need the same
 * master key as the SQLite data dir (`TAJO_MASTER_KEY`, or its `master.key`).
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { TajoError } from '../../core/errors.js';
import { SqliteStore } from '../sqlite/sqliteStore.js';
import { mapPgError } from './db.js';
import { jsonbText } from './jsonb.js';
import { PostgresStore } from './postgresStore.js';

export interface CopyOptions {
  sqliteFile: string;
  postgresUrl: string;
  /** Rows per INSERT (default 500). */
  batchSize?: number;
  onProgress?: (p: { table: string; copied: number; total: number }) => void;
}

export interface CopyReport {
  /**
   * Per table: rows read from SQLite, `inserted` by this run, `alreadyPresent` in Postgres as they are (copied by an
   * earlier run, or, for a table Postgres triggers fill, derived from `derivedFrom` as it was copied), `conflicting`.
   */
  tables: { table: string; read: number; inserted: number; alreadyPresent: number; derivedFrom?: string; conflicting?: number }[];
  durationMs: number;
}

/** Process-local state, never copied. */
// inbox_journals: offsets into this machine's journal files (imported into the inbox before the copy, see below)
const SKIP = new Set(['schema_migrations', 'leases', 'replicas', 'rate_budgets', 'inbox_journals']);
/**
 * Tables Postgres triggers fill from another table (migration 0002: worker_activity from raw_events' worker events).
 * The source table comes first in name order, so by the time such a table is copied its rows are already there.
 */
const DERIVED_BY_TRIGGERS: ReadonlyMap<string, string> = new Map([['worker_activity', 'raw_events']]);
/** Parents first (secrets reference connectors); the rest in name order. */
const FIRST = ['connectors'];

interface PgColumn { column_name: string; data_type: string; is_identity: string }
interface SqliteColumn { name: string; pk: number }

const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function copySqliteToPostgres(opts: CopyOptions): Promise<CopyReport> {
  const started = Date.now();
  if (!existsSync(opts.sqliteFile)) throw new TajoError('TAJO_USAGE', `No SQLite store at ${opts.sqliteFile}`, { hint: 'pass --sqlite-file <data dir>/tajo.db' });
  // Bring both to this version's schema first, so their columns match.
  // The Event Streams deliveries still in the SQLite store's inbox journal go into its inbox first (inboxJournal.ts).
  const sqlite = await SqliteStore.open(opts.sqliteFile, { inboxThread: false });
  try {
    sqlite.importInboxJournal(Infinity);
  } finally {
    await sqlite.close();
  }
  await (await PostgresStore.open(opts.postgresUrl, { max: 1 })).close();

  const src = new Database(opts.sqliteFile, { readonly: true, fileMustExist: true });
  const dst = new pg.Client({ connectionString: opts.postgresUrl });
  // A lost connection fails the query in progress (mapped below); the client's own 'error' event must not crash us.
  dst.on('error', () => undefined);
  const batch = Math.max(1, opts.batchSize ?? 500);
  const report: CopyReport = { tables: [], durationMs: 0 };
  try {
    await dst.connect();
    const names = (src.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[])
      .map((r) => r.name)
      .filter((n) => !SKIP.has(n))
      .sort((a, b) => (FIRST.includes(b) ? 1 : 0) - (FIRST.includes(a) ? 1 : 0) || a.localeCompare(b));
    for (const table of names) {
      const pgCols = (await dst.query<PgColumn>(
        'SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table])).rows;
      if (pgCols.length === 0) continue; // not in this Postgres schema (cannot happen between migration twins)
      const types = new Map(pgCols.map((c) => [c.column_name, c.data_type]));
      const sqliteCols = src.prepare(`PRAGMA table_info(${qi(table)})`).all() as SqliteColumn[];
      const cols = sqliteCols.map((c) => c.name).filter((c) => types.has(c));
      const identity = pgCols.filter((c) => c.is_identity === 'YES').map((c) => c.column_name);
      const primaryKey = (await dst.query<{ attname: string }>(`SELECT a.attname FROM pg_index i
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary`, [qi(table)])).rows
        .map((r) => r.attname);
      const r = await copyTable(src, dst, {
        table, cols, types, identity, keys: keyColumns(src, table, sqliteCols), batch, primaryKey: primaryKey.every((c) => cols.includes(c)) ? primaryKey : [],
      }, opts.onProgress);
      const derivedFrom = DERIVED_BY_TRIGGERS.get(table);
      report.tables.push({
        table, read: r.read, inserted: r.inserted, alreadyPresent: r.read - r.inserted - r.conflicting,
        ...(derivedFrom ? { derivedFrom } : {}), ...(r.conflicting ? { conflicting: r.conflicting } : {}),
      });
    }
  } catch (err) {
    // a connection lost mid-copy is TAJO_STORE_UNAVAILABLE: what was copied stays, a re-run copies the rest
    mapPgError(err);
  } finally {
    src.close();
    await dst.end().catch(() => undefined);
  }
  report.durationMs = Date.now() - started;
  const conflicts = report.tables.filter((t) => t.conflicting);
  if (conflicts.length) {
    // Kept as they are, these rows would be stale (an outbox row delivered since would reach Brevo again, a cursor
    // read again, an old credential kept) or another store's: nothing is overwritten, the operator decides.
    throw new TajoError('TAJO_STORE_COPY_CONFLICT', `${conflicts.reduce((n, t) => n + t.conflicting!, 0)} rows were not copied: the target database holds other versions of them`, {
      details: conflicts.map((t) => ({ path: t.table, message: `${t.conflicting} of ${t.read} rows differ from the SQLite store's` })),
      hint: 'the SQLite store changed after an earlier copy, or the database holds another store\'s data: drop and recreate the database, stop the SQLite-backed tajo serve, and copy again',
    });
  }
  return report;
}

/** Keyset columns: rowid when the table has one, else its primary key (WITHOUT ROWID tables). */
function keyColumns(src: Database.Database, table: string, cols: SqliteColumn[]): string[] {
  try {
    src.prepare(`SELECT rowid FROM ${qi(table)} LIMIT 0`).all();
    return ['rowid'];
  } catch {
    return cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  }
}

interface TableCopy {
  table: string;
  cols: string[];
  types: Map<string, string>;
  identity: string[];
  keys: string[];
  batch: number;
  /** The Postgres table's primary key columns (all copied), or none: lets the check after an insert use its index. */
  primaryKey: string[];
}

async function copyTable(src: Database.Database, dst: pg.Client, t: TableCopy, onProgress: CopyOptions['onProgress']): Promise<{ read: number; inserted: number; conflicting: number }> {
  const total = (src.prepare(`SELECT count(*) AS n FROM ${qi(t.table)}`).get() as { n: number }).n;
  const keySel = t.keys.map((k, i) => `${k === 'rowid' ? 'rowid' : qi(k)} AS __k${i}`).join(', ');
  const keyList = t.keys.map((k) => (k === 'rowid' ? 'rowid' : qi(k))).join(', ');
  const keyTuple = t.keys.length > 1 ? `(${keyList})` : keyList;
  const marks = t.keys.length > 1 ? `(${t.keys.map(() => '?').join(', ')})` : '?';
  const select = (after: unknown[] | undefined) =>
    `SELECT ${t.cols.map(qi).join(', ')}, ${keySel} FROM ${qi(t.table)}${after ? ` WHERE ${keyTuple} > ${marks}` : ''} ORDER BY ${keyList} LIMIT ${t.batch}`;
  const overriding = t.identity.length ? ' OVERRIDING SYSTEM VALUE' : '';
  let after: unknown[] | undefined;
  let read = 0;
  let inserted = 0;
  let conflicting = 0;
  // After the insert every source row of the batch must be in the target as it is; a row skipped because the target
  // holds another version under its key (or another row under its id) is a conflict. The primary key's equality (implied
  // by the rest: its columns are never NULL) lets each row be found through the index: without it every row of a re-run
  // scanned the whole table (a 20,000-event re-run took 17 s, growing with the square of the table).
  const byKey = t.primaryKey.map((c) => `x.${qi(c)} = v.${qi(c)} AND `).join('');
  const missing = (tuples: string[]) => `SELECT count(*)::int AS n FROM (VALUES ${tuples.join(', ')}) AS v(${t.cols.map(qi).join(', ')})
    WHERE NOT EXISTS (SELECT 1 FROM ${qi(t.table)} x WHERE ${byKey}${t.cols.map((c) => `x.${qi(c)} IS NOT DISTINCT FROM v.${qi(c)}`).join(' AND ')})`;
  for (;;) {
    const rows = src.prepare(select(after)).all(...(after ?? [])) as Record<string, unknown>[];
    if (rows.length === 0) break;
    const params: unknown[] = [];
    const tuples = rows.map((row) => `(${t.cols.map((c) => {
      params.push(convert(row[c], t.types.get(c)!));
      return `$${params.length}`;
    }).join(', ')})`);
    const res = await dst.query(`INSERT INTO ${qi(t.table)} (${t.cols.map(qi).join(', ')})${overriding} VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, params);
    inserted += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < rows.length) {
      let k = 0;
      const typed = rows.map(() => `(${t.cols.map((c) => `$${++k}::${t.types.get(c)!}`).join(', ')})`);
      conflicting += (await dst.query<{ n: number }>(missing(typed), params)).rows[0]?.n ?? 0;
    }
    read += rows.length;
    const last = rows[rows.length - 1]!;
    after = t.keys.map((_, i) => last[`__k${i}`]);
    onProgress?.({ table: t.table, copied: read, total });
  }
  for (const col of t.identity) {
    // New rows must get ids after the copied ones.
    await dst.query(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${qi(col)}) FROM ${qi(t.table)}), 1))`, [t.table, col]);
  }
  return { read, inserted, conflicting };
}

function convert(v: unknown, pgType: string): unknown {
  if (v === null || v === undefined) return null;
  if (pgType === 'boolean') return v === 1 || v === true || v === '1';
  if (typeof v === 'bigint') return v.toString();
  if (pgType === 'jsonb' && typeof v === 'string') return jsonbText(v);
  return v;
}
