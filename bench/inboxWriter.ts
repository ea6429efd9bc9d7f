/**
 * `npm run bench:inbox -- [--writers N] [--seconds S] [--random-ids]`
 *
 * The SQLite inbox writer thread alone (src/store/sqlite/inboxWriter.ts), without HTTP: N concurrent writers post
 * Event Streams bodies (5 CloudEvents each, unique ids; the bodies bench:webhooks sends) through
 * `Store.ingestJsonBatch`, each waiting for its durable commit before posting the next. Prints writes/s, the commits
 * (group size) and the WAL's size before and after, which says whether it was written in place.
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
  await ingest(); // starts the writer thread
  const walBefore = statSync(`${file}-wal`).size;
  const commits0 = store.inboxCommits;
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
  const commits = store.inboxCommits - commits0;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  console.log(`${writers} writers, ${seconds} s${randomIds ? ', random ids' : ''}: ${(done / elapsed).toFixed(0)} writes/s (${done * 5} events), ${commits} commits (${(done / commits).toFixed(1)} writes each), WAL ${mb(walBefore)} → ${mb(statSync(`${file}-wal`).size)} MB`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
