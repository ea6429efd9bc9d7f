/** Test helpers (used by the generator's tests only). */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

export const WORLD_TABLES = ['meta', 'activities', 'task_channels', 'workflows', 'task_queues', 'workers', 'tasks',
  'reservations', 'events', 'conversations', 'participants', 'messages'] as const;

/** A hash of every row of the given tables, in a stable order. */
export function hashTables(db: Database.Database, tables: readonly string[] = WORLD_TABLES): string {
  const h = createHash('sha256');
  for (const t of tables) {
    const order = t === 'meta' ? 'key' : t === 'events' ? 'seq' : t === 'messages' ? 'conversation_sid, idx' : 'sid';
    for (const row of db.prepare(`SELECT * FROM ${t} ORDER BY ${order}`).raw().iterate()) h.update(JSON.stringify(row));
    h.update(`|${t}|`);
  }
  return h.digest('hex');
}

export const DEFAULT_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
