/**
 * `tajo migrate` says which migrations this run applied and which were already there (text and --json), instead of
 * listing every applied id as if this run had applied them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteDb } from '../../store/sqlite/db.js';
import { SQLITE_MIGRATIONS } from '../../store/sqlite/migrations.js';
import { runCli, tempDir } from '../test-helpers/runCli.js';

let dir: { path: string; cleanup(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('tajo-migrate-cmd-');
});
afterAll(async () => {
  await dir?.cleanup();
});

type MigrateJson = { store: string; applied: number[]; pending: number[]; appliedNow: number[]; alreadyApplied: number[] };
const ids = SQLITE_MIGRATIONS.map((m) => m.id);
const last = ids[ids.length - 1]!;

describe('tajo migrate', () => {
  it('on a store migrated up to an older version: names the ones applied now and those already there; a second run is already up to date', async () => {
    const dataDir = join(dir.path, 'partial');
    mkdirSync(dataDir);
    const older = new SqliteDb(join(dataDir, 'tajo.db'));
    older.migrate(SQLITE_MIGRATIONS.slice(0, -2));
    older.db.close();

    const first = await runCli(['--json', '--data-dir', dataDir, 'migrate']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<MigrateJson>()).toMatchObject({ store: 'sqlite', applied: ids, pending: [], appliedNow: ids.slice(-2), alreadyApplied: ids.slice(0, -2) });

    const text = await runCli(['--data-dir', dataDir, 'migrate']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.trim()).toBe(`✓ sqlite store already up to date at migration ${last}`);
    const again = (await runCli(['--json', '--data-dir', dataDir, 'migrate'])).json<MigrateJson>();
    expect(again).toMatchObject({ applied: ids, appliedNow: [], alreadyApplied: ids });
  });

  it('text names what this run applied', async () => {
    const dataDir = join(dir.path, 'older');
    mkdirSync(dataDir);
    const older = new SqliteDb(join(dataDir, 'tajo.db'));
    older.migrate(SQLITE_MIGRATIONS.slice(0, -1));
    older.db.close();
    const r = await runCli(['--data-dir', dataDir, 'migrate']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`✓ sqlite store up to date at migration ${last}: applied ${last} now (`);
    expect(r.stdout).toContain('already there)');
  });
});
