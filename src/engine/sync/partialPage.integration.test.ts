import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { listEvents } from '../../sources/twilio/readers.js';
import { TwilioClient, twilioBaseUrls, twilioCredentials } from '../../sources/twilio/client.js';
import type { RawEvent } from '../../store/types.js';
import { budgetsForTwilio } from '../budget.js';
import { rawEventFromTaskRouter } from '../derive/taskEvents.js';
import { runSync } from './runSync.js';
import { recordFirstEnqueued, wrongFirstVersions } from './test-helpers/firstEnqueued.js';
import { startHarness, type Harness } from './test-helpers/harness.js';
import { DAY_MS, MINUTE_MS } from './windows.js';

const WINDOW_MS = 10 * MINUTE_MS;

/**
 * A run killed in the middle of a window has stored that window's newest pages (Events come newest first): a task's
 * `task.completed` can be in the store while its `reservation.accepted`, older, is not. The resumed run reads from an
 * earlier start with windows of its own, and derives the tasks of a window once it is read. A task that began in that
 * window must not be derived from the stored completion without the events between (it would be enqueued as completed
 * without agent or wait, and an event once enqueued is never re-sent): it waits for the window that reads them.
 * (Seen once in the SIGKILL test, crash.integration.test.ts, as CONVERSATION_ENDED events without an agent.)
 */
describe('a crashed run left later events in the store', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('every event is complete the first time it is enqueued, with the completions stored ahead of their windows', { timeout: 60_000 }, async () => {
    const i = h.emulator.info;
    const s = h.connector.settings;
    const nowMs = h.emulator.clock.nowMs();
    const sinceMs = nowMs - 4 * DAY_MS;
    const client = new TwilioClient({
      baseUrls: twilioBaseUrls(s.baseUrls, h.config.base_urls), credentials: twilioCredentials(s, { authToken: i.authToken }), budgets: budgetsForTwilio(i.workspaceSid, 50),
      logger: silentLogger(), logApiCalls: false, priority: 0, timeScale: 50,
    });
    const all: RawEvent[] = [];
    for await (const page of listEvents(client, i.workspaceSid, sinceMs, nowMs, { pageSize: 1000 })) all.push(...page.items.map((e) => rawEventFromTaskRouter(e)));
    // What the killed run left: every task's completion (the newest page of some window), nothing before it.
    const completions = all.filter((e) => e.type === 'task.completed');
    await h.store.commit(h.connector.id, { rawEvents: completions });

    // The case this is about must occur: tasks created in one window and accepted in a later one.
    const firstOf = (sid: string, type: string) => all.find((e) => e.taskSid === sid && e.type === type)?.occurredMs;
    const windowOf = (ms: number) => Math.floor((ms - sinceMs) / WINDOW_MS);
    const straddling = completions.filter((c) => {
      const created = firstOf(c.taskSid as string, 'task.created');
      const accepted = firstOf(c.taskSid as string, 'reservation.accepted');
      return created !== undefined && accepted !== undefined && windowOf(created) < windowOf(accepted);
    });
    expect(straddling.length).toBeGreaterThan(3);

    const { store, first } = recordFirstEnqueued(h.store);
    const report = await runSync(
      {
        store, config: h.config, connector: h.connector, secrets: { authToken: i.authToken }, logger: silentLogger(), budgets: budgetsForTwilio(i.workspaceSid, 50),
        listIds: h.lists, nowMs: () => h.emulator.clock.nowMs(), timeScale: 50, windowMs: WINDOW_MS,
      },
      { type: 'full', since: new Date(sinceMs).toISOString() },
    );
    expect(report.status, report.statusReason).toBe('ok');

    const truth = h.emulator.truth().events.filter((t) => Date.parse(t.event_date) >= sinceMs);
    expect(truth.length).toBeGreaterThan(100);
    const wrong = wrongFirstVersions(truth, first);
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});
