import type { RawEvent } from '../../../store/types.js';

/** Builders for hand-made TaskRouter event sets (unit tests only). */
let seq = 0;
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

export interface EvOpts {
  at: number; // seconds after T0
  attrs?: Record<string, unknown> | string;
  channel?: string;
  queue?: [string, string];
  worker?: [string, string];
  key?: string;
}

export function ev(taskSid: string, type: string, o: EvOpts): RawEvent {
  const data: Record<string, unknown> = { task_sid: taskSid };
  if (o.attrs !== undefined) data.task_attributes = typeof o.attrs === 'string' ? o.attrs : JSON.stringify(o.attrs);
  if (o.channel) data.task_channel_unique_name = o.channel;
  if (o.queue) [data.task_queue_sid, data.task_queue_name] = o.queue;
  if (o.worker) [data.worker_sid, data.worker_name] = o.worker;
  seq++;
  return { key: o.key ?? `EV${String(seq).padStart(32, '0')}`, type, occurredMs: T0 + o.at * 1000, taskSid, via: 'poll', data };
}

export const at = (s: number): number => T0 + s * 1000;

export const Q1: [string, string] = ['WQ' + '1'.repeat(32), 'Support'];
export const Q2: [string, string] = ['WQ' + '2'.repeat(32), 'Billing'];
export const W1: [string, string] = ['WK' + '1'.repeat(32), 'Alice'];
export const W2: [string, string] = ['WK' + '2'.repeat(32), 'Bob'];
export const sidOf = (p: string, n: number): string => p + String(n).padStart(32, '0');
