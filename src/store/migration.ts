import { TajoError } from '../core/errors.js';

/** A numbered plain-SQL migration, embedded in the build (graphile-worker style). */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * The migrations still to apply, in order. A database with migrations this list does not know was written by a newer
 * Tajo: refused (TAJO_STORE_MIGRATION) rather than run against a schema this version does not understand.
 */
export function pendingMigrations(migrations: readonly Migration[], applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...done].filter((id) => !known.has(id));
  if (unknown.length) {
    throw new TajoError('TAJO_STORE_MIGRATION', `The database has migrations this version of Tajo does not know (${unknown.join(', ')}): upgrade Tajo`);
  }
  return migrations.filter((m) => !done.has(m.id));
}

/** A migration whose SQL failed (the caller re-throws lock and I/O failures as they are: the store is unavailable). */
export function migrationFailed(m: Migration, err: unknown): TajoError {
  return new TajoError('TAJO_STORE_MIGRATION', `Migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
}
