import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pendingMigrations, type Migration } from './migration.js';
import { POSTGRES_MIGRATIONS } from './postgres/migrations.js';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.js';

/**
 * The .sql files are the source; each dialect's `migrations.ts` embeds them so the built CLI needs no file lookups.
 * Regenerate after editing a .sql file: TAJO_WRITE_MIGRATIONS=1 npx vitest run --project unit src/store/migrations.unit.test.ts
 */
const DIALECTS = [
  { dialect: 'sqlite', exportName: 'SQLITE_MIGRATIONS', embedded: SQLITE_MIGRATIONS },
  { dialect: 'postgres', exportName: 'POSTGRES_MIGRATIONS', embedded: POSTGRES_MIGRATIONS },
] as const;

function sqlFiles(dialect: string): Migration[] {
  const dir = fileURLToPath(new URL(`./${dialect}/migrations/`, import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(f);
      if (!m) throw new Error(`migration file name must be NNNN_name.sql: ${f}`);
      return { id: Number(m[1]), name: f.slice(0, -4), sql: readFileSync(dir + f, 'utf8') };
    });
}

function render(exportName: string, dialect: string, files: Migration[]): string {
  const lit = (s: string) => '`' + s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
  return [
    '// Generated from ./migrations/*.sql by src/store/migrations.unit.test.ts; do not edit by hand.',
    '// Regenerate: TAJO_WRITE_MIGRATIONS=1 npx vitest run --project unit src/store/migrations.unit.test.ts',
    "import type { Migration } from '../migration.js';",
    '',
    `export const ${exportName}: readonly Migration[] = [`,
    ...files.map((f) => `  { id: ${f.id}, name: '${f.name}', sql: ${lit(f.sql)} },`),
    '];',
    '',
  ].join('\n');
}

describe.each(DIALECTS)('$dialect migrations module', ({ dialect, exportName, embedded }) => {
  it('embeds exactly the .sql files, numbered 1..n without gaps', () => {
    const files = sqlFiles(dialect);
    const moduleFile = fileURLToPath(new URL(`./${dialect}/migrations.ts`, import.meta.url));
    const expected = render(exportName, dialect, files);
    if (process.env.TAJO_WRITE_MIGRATIONS === '1') {
      writeFileSync(moduleFile, expected);
      return;
    }
    expect(readFileSync(moduleFile, 'utf8'), `${dialect}/migrations.ts is stale: regenerate it (see header)`).toBe(expected);
    expect(embedded.map((m) => m.id)).toEqual(files.map((_, i) => i + 1));
    expect(embedded.map((m) => m.sql)).toEqual(files.map((f) => f.sql));
  });
});

it('both dialects have the same migration numbers and names', () => {
  expect(sqlFiles('postgres').map((m) => m.name)).toEqual(sqlFiles('sqlite').map((m) => m.name));
});

describe('pendingMigrations', () => {
  const list: Migration[] = [1, 2, 3].map((id) => ({ id, name: `000${id}_m`, sql: '' }));
  it('keeps the ones not applied, in order', () => {
    expect(pendingMigrations(list, []).map((m) => m.id)).toEqual([1, 2, 3]);
    expect(pendingMigrations(list, [2, 1]).map((m) => m.id)).toEqual([3]);
    expect(pendingMigrations(list, [1, 2, 3])).toEqual([]);
  });
  it('refuses a database migrated by a newer version', () => {
    expect(() => pendingMigrations(list, [1, 2, 3, 4, 6])).toThrow(expect.objectContaining({ code: 'TAJO_STORE_MIGRATION', message: expect.stringContaining('(4, 6)') }));
  });
});
