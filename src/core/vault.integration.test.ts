import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connector } from '../store/contract.js';
import { SqliteStore } from '../store/sqlite/sqliteStore.js';
import { isTajoError } from './errors.js';
import { loadMasterKey, MASTER_KEY_FILE, Vault } from './vault.js';

const root = mkdtempSync(join(tmpdir(), 'tajo-vault-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${++n}`, 'data');
const mode = (p: string) => statSync(p).mode & 0o777;
const posix = process.platform !== 'win32';

describe('master key file', () => {
  it('is generated once with mode 0600 in a 0700 data dir, then reused', () => {
    const dataDir = freshDir();
    const first = loadMasterKey({ dataDir, env: {} });
    expect(first).toMatchObject({ source: 'file', created: true, path: join(dataDir, MASTER_KEY_FILE) });
    const second = loadMasterKey({ dataDir, env: {} });
    expect(second.created).toBeUndefined();
    expect(second.key).toEqual(first.key);
    if (posix) {
      expect(mode(join(dataDir, MASTER_KEY_FILE))).toBe(0o600);
      expect(mode(dataDir)).toBe(0o700);
    }
    expect(readdirSync(dataDir)).toEqual([MASTER_KEY_FILE]);
  });

  it.runIf(posix)('tightens a key file that is readable by others', () => {
    const dataDir = freshDir();
    loadMasterKey({ dataDir, env: {} });
    chmodSync(join(dataDir, MASTER_KEY_FILE), 0o644);
    loadMasterKey({ dataDir, env: {} });
    expect(mode(join(dataDir, MASTER_KEY_FILE))).toBe(0o600);
  });

  it('with create: false, a missing key is TAJO_MASTER_KEY_MISSING and neither the file nor the data dir is created', () => {
    const dataDir = freshDir();
    expect(() => loadMasterKey({ dataDir, env: {}, create: false })).toThrow(expect.objectContaining({ code: 'TAJO_MASTER_KEY_MISSING' }));
    expect(existsSync(dataDir)).toBe(false);
    const made = loadMasterKey({ dataDir, env: {} });
    expect(loadMasterKey({ dataDir, env: {}, create: false }).key).toEqual(made.key);
  });

  it('TAJO_MASTER_KEY wins and writes no file; a bad value or key file is TAJO_MASTER_KEY_INVALID', () => {
    const dataDir = freshDir();
    const key = randomBytes(32);
    expect(loadMasterKey({ dataDir, env: { TAJO_MASTER_KEY: key.toString('hex') } })).toEqual({ key, source: 'env' });
    expect(existsSync(join(dataDir, MASTER_KEY_FILE))).toBe(false);
    expect(() => loadMasterKey({ dataDir, env: { TAJO_MASTER_KEY: 'nope' } })).toThrow(expect.objectContaining({ code: 'TAJO_MASTER_KEY_INVALID' }));
    const other = freshDir();
    loadMasterKey({ dataDir: other, env: {} });
    writeFileSync(join(other, MASTER_KEY_FILE), 'garbage\n');
    expect(() => loadMasterKey({ dataDir: other, env: {} })).toThrow(expect.objectContaining({ code: 'TAJO_MASTER_KEY_INVALID' }));
  });
});

describe('secrets at rest in the SQLite store', () => {
  it('never writes plaintext to the db, -wal or -shm files, and opens with the same key only', async () => {
    const dataDir = freshDir();
    const vault = Vault.fromDataDir({ dataDir, env: {} });
    const file = join(dataDir, 'tajo.db');
    const store = await SqliteStore.open(file);
    const token = `tok_${randomBytes(24).toString('hex')}`;
    const brevo = `xkeysib-${randomBytes(32).toString('hex')}`;
    await store.saveConnector(connector());
    for (const [name, value] of Object.entries({ auth_token: token, brevo_api_key: brevo })) {
      await store.putSecret('twilio-flex', name, vault.seal(value, { connectorId: 'twilio-flex', name }));
    }
    const files = readdirSync(dataDir).filter((f) => f.startsWith('tajo.db'));
    expect(files).toEqual(expect.arrayContaining(['tajo.db', 'tajo.db-wal', 'tajo.db-shm']));
    const scan = () => {
      for (const f of readdirSync(dataDir).filter((x) => x.startsWith('tajo.db'))) {
        const bytes = readFileSync(join(dataDir, f));
        for (const secret of [token, brevo]) {
          expect(bytes.includes(Buffer.from(secret, 'utf8')), `${secret.slice(0, 4)}… found in ${f}`).toBe(false);
          expect(bytes.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
        }
      }
    };
    scan(); // while the WAL still holds the pages
    const sealed = await store.getSecrets('twilio-flex');
    expect(vault.openAll('twilio-flex', sealed)).toEqual({ auth_token: token, brevo_api_key: brevo });
    await store.close(); // checkpoints the WAL into the db file
    scan();
    if (posix) expect(mode(join(dataDir, MASTER_KEY_FILE))).toBe(0o600);
    const wrong = new Vault(randomBytes(32));
    expect(() => wrong.openAll('twilio-flex', sealed)).toThrow(expect.objectContaining({ code: 'TAJO_CREDENTIALS_DECRYPT' }));
    try {
      wrong.openAll('twilio-flex', sealed);
    } catch (err) {
      expect(isTajoError(err, 'TAJO_CREDENTIALS_DECRYPT')).toBe(true);
      expect(JSON.stringify((err as Error).message)).not.toContain(token);
    }
  });
});
