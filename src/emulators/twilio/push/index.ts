import { mulberry32 } from '../../common/random.js';
import type { Env } from '../env.js';
import type { PushRequest, PushSummary } from '../types.js';
import { formDelivery, jsonDelivery, send, type Delivery } from './deliver.js';
import { cloudEvent, conversationForm, taskRouterForm } from './formats.js';
import { allEvents, conversationEvents, taskRouterEvents, type WorldEvent } from './worldEvents.js';

export class PushError extends Error {}

function instant(name: string, s: string | undefined, dflt: number): number {
  if (s === undefined) return dflt;
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new PushError(`${name} is not an ISO date: ${s}`);
  return t;
}

/** Builds the HTTP deliveries of a push, in world order. */
export function buildDeliveries(env: Env, req: PushRequest): { events: number; deliveries: Delivery[] } {
  try {
    const u = new URL(req.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new PushError(`url must be an absolute http(s) URL: ${req.url}`);
  }
  const nowMs = env.clock.nowMs();
  const since = instant('since', req.since, 0);
  const until = Math.min(instant('until', req.until, nowMs), nowMs);
  const token = env.creds.authToken;
  let events: WorldEvent[];
  let deliveries: Delivery[];
  switch (req.kind) {
    case 'event-streams': {
      events = allEvents(env.db, since, until);
      const size = Math.max(1, Math.floor(req.batchSize ?? 1));
      deliveries = [];
      for (let i = 0; i < events.length; i += size) {
        const batch = events.slice(i, i + size).map((e) => cloudEvent(e, env.info, nowMs));
        deliveries.push(jsonDelivery(token, req.url, batch, req.basicAuth));
      }
      break;
    }
    case 'taskrouter':
      events = taskRouterEvents(env.db, since, until);
      deliveries = events.map((e) => formDelivery(token, req.url, e.source === 'taskrouter' ? taskRouterForm(e.row, env.info, nowMs) : {}, req.basicAuth));
      break;
    case 'conversations':
      events = conversationEvents(env.db, since, until);
      deliveries = events.map((e) => formDelivery(token, req.url, e.source === 'conversations' ? conversationForm(e.ev, env.info) : {}, req.basicAuth));
      break;
    default:
      throw new PushError(`kind must be event-streams, taskrouter or conversations`);
  }
  return { events: events.length, deliveries };
}

/**
 * Pushes every world event in [since, until ∧ now] to `url` the way Twilio would: signed, at least once
 * (retries on non-2xx and timeouts with back-off), optionally duplicated (`duplicateRate`) and reordered (`shuffle`).
 */
export async function runPush(env: Env, req: PushRequest): Promise<PushSummary> {
  const dupRate = req.duplicateRate ?? 0;
  if (!(dupRate >= 0 && dupRate <= 1)) throw new PushError('duplicateRate must be within [0, 1]');
  const { events, deliveries } = buildDeliveries(env, req);
  const rand = mulberry32(req.seed ?? 1);
  const queue: { d: Delivery; dup: boolean }[] = [];
  for (const d of deliveries) {
    queue.push({ d, dup: false });
    if (dupRate > 0 && rand() < dupRate) queue.push({ d, dup: true });
  }
  if (req.shuffle) {
    for (let i = queue.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const a = queue[i];
      const b = queue[j];
      if (a && b) {
        queue[i] = b;
        queue[j] = a;
      }
    }
  }
  const summary: PushSummary = { events, sent: 0, duplicates: 0, failures: 0, retries: 0 };
  const opts = { timeoutMs: req.timeoutMs ?? 5000, maxRetries: req.maxRetries ?? 5, backoffMs: 50 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const item = queue[next++];
      if (!item) break;
      const r = await send(item.d, opts);
      summary.retries += r.attempts - 1;
      if (!r.ok) summary.failures += 1;
      else if (item.dup) summary.duplicates += 1;
      else summary.sent += 1;
    }
  };
  const concurrency = Math.max(1, Math.min(64, Math.floor(req.concurrency ?? 1)));
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return summary;
}
