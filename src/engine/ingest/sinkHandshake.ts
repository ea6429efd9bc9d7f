/**
 * Event Streams sink validation (twilio.md §5): `POST /v1/Sinks/{DG}/Test` makes Twilio send a
 * `com.twilio.eventstreams.test-event` whose `data.test_id` must be passed back to `POST /v1/Sinks/{DG}/Validate`.
 * The server acknowledges the test event and records its test id in the store (a checkpoint of the connector's
 * `#event-streams` namespace, kept out of the sync streams), where `tajo connectors webhooks` — possibly another
 * process on the same data dir or database — picks it up.
 */
import type { Store } from '../../store/store.js';

export const TEST_EVENT_TYPE = 'com.twilio.eventstreams.test-event';
const STREAM = 'sink-test';
const PARTITION = 'latest';

export interface SinkTestRecord {
  testId: string;
  /** When the server received it (epoch ms). */
  receivedMs: number;
}

const namespace = (connectorId: string): string => `${connectorId}#event-streams`;

/** The test id a CloudEvent carries when it is the Event Streams test event. */
export function testIdOf(e: { type: string; data?: unknown }): string | undefined {
  if (e.type !== TEST_EVENT_TYPE) return undefined;
  const id = (e.data as { test_id?: unknown } | null | undefined)?.test_id;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

/** Stores the latest received test id (last writer wins; retried once on a concurrent write). */
export async function recordSinkTest(store: Store, connectorId: string, rec: SinkTestRecord): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const cur = await store.getCheckpoint(namespace(connectorId), STREAM, PARTITION);
    try {
      await store.commit(namespace(connectorId), { checkpoint: { stream: STREAM, partition: PARTITION, value: rec, expectedVersion: cur?.version ?? 0 } });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** The latest test id received, if any. */
export async function latestSinkTest(store: Store, connectorId: string): Promise<SinkTestRecord | undefined> {
  const cp = await store.getCheckpoint(namespace(connectorId), STREAM, PARTITION);
  const v = cp?.value as Partial<SinkTestRecord> | undefined;
  return v && typeof v.testId === 'string' && typeof v.receivedMs === 'number' ? { testId: v.testId, receivedMs: v.receivedMs } : undefined;
}
