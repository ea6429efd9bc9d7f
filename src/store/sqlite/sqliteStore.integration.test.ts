import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runStoreContract } from '../contract.js';
import { SqliteStore } from './sqliteStore.js';

const root = mkdtempSync(join(tmpdir(), 'tajo-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStoreContract('sqlite', () => SqliteStore.open(join(root, `t${++n}.db`)));
