/**
 * `npm run bench:inbox -- [--writers N] [--seconds S] [--random-ids]`
 *
 * The SQLite store's Event Streams path alone, without HTTP: N concurrent writers post Event Streams bodies (5
 * CloudEvents each, unique ids; the bodies bench:webhooks sends) through `Store.ingestJsonBatch`, each waiting for its
 * durable answer before posting the next: since 2026-12-06 night the inbox journal (journalWriter.ts, one fdatasync per
 * group). Prints writes/s, then what the processor's claims pay later: the import of the journal into the inbox table
 * (inboxJournal.ts), all of it, and the rows it wrote.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOUD_EVENT_BATCH } from '../src/server/routes/eventStreams.validate.js';
import { SqliteStore } from '../src/store/sqlite/sqliteStore.js';
import { poolEntry } from './webhooksPool.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(args[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number`);
  return n;
};
const writers = opt('--writers', 16);
const seconds = opt('--seconds', 4);
const randomIds = args.includes('--random-ids');

const dir = mkdtempSync(join(tmpdir(), 'tajo-bench-inbox-'));
const file = join(dir, 'tajo.db');
const store = await SqliteStore.open(file);
try {
  // more unique bodies than the run can write (~10 k/s at most here)
  const size = Math.ceil(seconds * 15_000);
  const bodies = Array.from({ length: size }, (_, i) => Buffer.from(poolEntry({ kind: 'bare', origin: '', authToken: '', accountSid: `AC${'0'.repeat(32)}`, size, randomIds }, i).body));
  let next = 0;
  const ingest = async () => {
    const r = await store.ingestJsonBatch(bodies[next++]!, 'event-streams', CLOUD_EVENT_BATCH);
    if (!r || r.accepted !== 5) throw new Error(`expected 5 new events, got ${JSON.stringify(r)}`);
  };
  await ingest();
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    while (performance.now() < until && next < size) {
      await ingest();
      done++;
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const imported = store.importInboxJournal(Infinity);
  const importMs = performance.now() - t1;
  if (imported.deliveries !== done + 1) throw new Error(`the journal held ${imported.deliveries} deliveries, ${done + 1} were answered`);
  console.log(`${writers} writers, ${seconds} s${randomIds ? ', random ids' : ''}: ${(done / elapsed).toFixed(0)} durable writes/s (${done * 5} events); ` +
    `imported into the inbox afterwards: ${imported.deliveries} deliveries (${imported.items} events) in ${importMs.toFixed(0)} ms, ${(imported.deliveries / (importMs / 1000)).toFixed(0)}/s, WAL ${(statSync(`${file}-wal`).size / 1024 / 1024).toFixed(1)} MB`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
