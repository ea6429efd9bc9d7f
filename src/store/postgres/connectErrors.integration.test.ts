import { describe, expect, it } from 'vitest';
import { openStore } from '../openStore.js';
import { databaseUrl, postgresAvailable, TEST_DATABASE_URL } from './test-helpers/testDatabase.js';

const available = await postgresAvailable();
if (!available) console.warn(`Postgres connect-error tests skipped: no server at ${new URL(TEST_DATABASE_URL).host} (set TAJO_TEST_DATABASE_URL)`);

const openError = (url: string) => openStore({ dataDir: '.', url }).then(async (s) => { await s.close(); return undefined; }, (e: unknown) => e);

describe.runIf(available)('postgres store URL naming what the server does not have', () => {
  it('a database that does not exist is TAJO_CONFIG_INVALID (exit 78) with a hint, not internal', async () => {
    const err = await openError(databaseUrl(`tajo_missing_${process.pid}`));
    expect(err).toMatchObject({ code: 'TAJO_CONFIG_INVALID', exitCode: 78, message: expect.stringMatching(/database does not exist \(SQLSTATE 3D000/), hint: expect.stringMatching(/createdb/) });
  });

  it('a role that does not exist is TAJO_CONFIG_INVALID (SQLSTATE class 28)', async () => {
    const u = new URL(TEST_DATABASE_URL);
    u.username = `tajo_no_role_${process.pid}`;
    u.password = 'not-a-real-password';
    const err = await openError(u.toString());
    expect(err).toMatchObject({ code: 'TAJO_CONFIG_INVALID', message: expect.stringMatching(/SQLSTATE 28/), hint: expect.stringMatching(/TAJO_DATABASE_URL/) });
    expect(JSON.stringify((err as { toJSON(): unknown }).toJSON())).not.toContain('not-a-real-password');
  });
});
