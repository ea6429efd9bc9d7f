import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { budgetsForTwilio } from '../budget.js';
import { runSync } from './runSync.js';
import { recordFirstEnqueued, wrongFirstVersions } from './test-helpers/firstEnqueued.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

/**
 * A window's tasks are committed in chunks, and the delivery worker may send what one chunk enqueued before the next
 * commits. A survey derived before the task it rates would enqueue CSAT_SUBMITTED without that task's agent, queue and
 * channel — and once delivered it is never re-sent complete. With one task per chunk, the first version of every
 * CSAT_SUBMITTED enqueued must already be the complete one.
 */
describe('window derivation order: surveys after the tasks they rate', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('with one task per commit, each CSAT_SUBMITTED is complete the first time it is enqueued', async () => {
    const { store, first } = recordFirstEnqueued(h.store);
    const i = h.emulator.info;
    const report = await runSync(
      {
        store, config: h.config, connector: h.connector, secrets: { authToken: i.authToken }, logger: silentLogger(), budgets: budgetsForTwilio(i.workspaceSid, 50),
        listIds: h.lists, nowMs: () => h.emulator.clock.nowMs(), timeScale: 50, deriveChunk: 1,
      },
      { type: 'full' },
    );
    expect(report.status, report.statusReason).toBe('ok');
    const truth = h.emulator.truth().events.filter((e) => e.name === 'CSAT_SUBMITTED');
    expect(truth.filter((t) => t.properties.agent !== undefined).length).toBeGreaterThan(3);
    const wrong = wrongFirstVersions(truth, first);
    expect(wrong.slice(0, 2)).toEqual([]);
  });
});
