/**
 * Channel mix: interactions per channel (the ground truth's `metrics.channels`) and, per channel, the queue figures
 * (queues.ts definitions), the mean handle time of completed interactions and the CSAT of surveys linked to them.
 */
import { CHANNELS, type Channel } from '../config/defaults.js';
import type { QueueGroup } from '../store/analytics.js';
import { QueueAcc } from './queues.js';
import { pct, upsert } from './stats.js';
import type { ChannelRow } from './types.js';

export function channelCounts(groups: readonly QueueGroup[]): Record<Channel, number> {
  const out = Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
  for (const g of groups) if (g.channel !== null) out[g.channel] = (out[g.channel] ?? 0) + g.entered;
  return out;
}

export function channelRows(groups: readonly QueueGroup[], slSeconds: number): ChannelRow[] {
  const by = new Map<Channel, QueueAcc>();
  let all = 0;
  for (const g of groups) {
    all += g.entered;
    if (g.channel !== null) upsert(by, g.channel, () => new QueueAcc()).add(g);
  }
  return CHANNELS.filter((c) => by.has(c)).map((channel) => {
    const acc = by.get(channel) as QueueAcc;
    const r = acc.result(slSeconds);
    return {
      channel,
      entered: r.entered,
      share: pct(r.entered, all),
      answered: r.answered,
      abandoned: r.abandoned,
      abandon_rate: r.abandon_rate,
      answered_within_sl: r.answered_within_sl,
      service_level: r.service_level,
      wait_avg: r.wait_avg,
      wait_p50: r.wait_p50,
      avg_handle: acc.handleAvg(),
      csat_count: acc.csatCount,
      csat_avg: acc.csatAvg(),
      timed_out: r.timed_out,
    };
  });
}
