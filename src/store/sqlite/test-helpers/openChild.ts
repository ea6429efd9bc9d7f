/** Child process for the concurrent-open test: opens (and so migrates) the store, writes once, reports. */
import { SqliteStore } from '../sqliteStore.js';

const [file, id] = process.argv.slice(2);
if (!file || !id) throw new Error('usage: openChild <file> <id>');
const store = await SqliteStore.open(file);
const res = await store.commit('c', { outbox: [{ kind: 'event', key: `E:${id}`, payload: { id }, priority: 1 }] });
const m = await store.migrations();
await store.close();
process.stdout.write(JSON.stringify({ id, inserted: res.outboxInserted, ...m }));
