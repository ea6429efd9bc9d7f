import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from './migrations.js';

/**
 * The .sql files are the source; `migrations.ts` embeds them so the built CLI needs no file lookups.
 * Regenerate after editing a .sql file: TAJO_WRITE_MIGRATIONS=1 npx vitest run src/store/sqlite/migrations.unit.test.ts
 */
const dir = fileURLToPath(new URL('./migrations/', import.meta.url));
const moduleFile = fileURLToPath(new URL('./migrations.ts', import.meta.url));

function sqlFiles(): { id: number; name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(f);
      if (!m) throw new Error(`migration file name must be NNNN_name.sql: ${f}`);
      return { id: Number(m[1]), name: f.slice(0, -4), sql: readFileSync(dir + f, 'utf8') };
    });
}

function render(files: { id: number; name: string; sql: string }[]): string {
  const lit = (s: string) => '`' + s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
  return [
    '// Generated from ./migrations/*.sql by migrations.unit.test.ts; do not edit by hand.',
    '// Regenerate: TAJO_WRITE_MIGRATIONS=1 npx vitest run src/store/sqlite/migrations.unit.test.ts',
    "import type { Migration } from '../migration.js';",
    '',
    'export const SQLITE_MIGRATIONS: readonly Migration[] = [',
    ...files.map((f) => `  { id: ${f.id}, name: '${f.name}', sql: ${lit(f.sql)} },`),
    '];',
    '',
  ].join('\n');
}

describe('sqlite migrations module', () => {
  it('embeds exactly the .sql files, numbered 1..n without gaps', () => {
    const files = sqlFiles();
    const expected = render(files);
    if (process.env.TAJO_WRITE_MIGRATIONS === '1') writeFileSync(moduleFile, expected);
    expect(readFileSync(moduleFile, 'utf8'), 'migrations.ts is stale: regenerate it (see header)').toBe(expected);
    expect(SQLITE_MIGRATIONS.map((m) => m.id)).toEqual(files.map((_, i) => i + 1));
    expect(SQLITE_MIGRATIONS.map((m) => m.sql)).toEqual(files.map((f) => f.sql));
  });
});
