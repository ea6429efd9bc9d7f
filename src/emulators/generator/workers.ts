/** Agents (TaskRouter workers): identities, shifts with breaks, and the activity plan of each day. */
import { Rng, TICK_MS, tick } from './ids.js';
import type { SidFactory } from './ids.js';
import { FIRST_NAMES, LAST_NAMES, asciiSlug } from './names.js';

export type ActivityName = 'Offline' | 'Available' | 'Unavailable' | 'Break' | 'Busy';
export const ACTIVITIES: ReadonlyArray<{ name: ActivityName; available: boolean }> = [
  { name: 'Offline', available: false },
  { name: 'Available', available: true },
  { name: 'Unavailable', available: false },
  { name: 'Break', available: false },
  { name: 'Busy', available: false },
];

export interface WorkerDef {
  idx: number;
  sid: string;
  /** TaskRouter friendly_name (the Flex identity), used as the agent name in events. */
  name: string;
  fullName: string;
  identity: string;
  attributes: string;
  /** 0: 06–14 UTC, 1: 14–22 UTC, 2: 22–06 UTC. */
  shift: 0 | 1 | 2;
  /** Days of the week (UTC, 0 = Sunday) off; with ≥ 2 workers per shift every day stays covered. */
  offDays: number[];
}

const SHIFT_START_H = [6, 14, 22] as const;
const DAY_MS = 86_400_000;
const H = 3_600_000;
const M = 60_000;

export function makeWorkers(seed: number, count: number, sids: SidFactory, queueSkills: string[]): WorkerDef[] {
  const rng = Rng.derive(seed, 'workers');
  const sizes = [Math.round(count * 0.4), Math.round(count * 0.45)];
  sizes.push(count - (sizes[0] ?? 0) - (sizes[1] ?? 0));
  const used = new Set<string>();
  const out: WorkerDef[] = [];
  for (const shift of [0, 1, 2] as const) {
    const size = sizes[shift] ?? 0;
    for (let j = 0; j < size; j++) {
      let first = '';
      let last = '';
      let identity = '';
      do {
        first = rng.pick(FIRST_NAMES);
        last = rng.pick(LAST_NAMES);
        identity = `${asciiSlug(first)}_${asciiSlug(last)}`.toLowerCase();
      } while (used.has(identity));
      used.add(identity);
      const fullName = `${first} ${last}`;
      const attributes = JSON.stringify({
        contact_uri: `client:${identity}`,
        email: `${identity.replace('_', '.')}@tajo-support.example.com`,
        full_name: fullName,
        image_url: '',
        roles: ['agent'],
        routing: { skills: queueSkills, levels: {} },
      });
      out.push({
        idx: out.length,
        sid: sids.next('WK'),
        name: identity,
        fullName,
        identity,
        attributes,
        shift,
        offDays: size >= 2 ? [j % 7, (j + 3) % 7] : [],
      });
    }
  }
  return out;
}

export interface PlannedTransition {
  t: number;
  activity: ActivityName;
}

/**
 * The planned activity changes of a worker's shift starting on UTC day `day` (days since the epoch): log in,
 * two short breaks, a lunch (Break or Unavailable), log out. Empty on a day off.
 */
export function shiftPlan(seed: number, w: WorkerDef, day: number): PlannedTransition[] {
  const startOfDay = day * DAY_MS;
  if (w.offDays.includes(new Date(startOfDay).getUTCDay())) return [];
  const rng = Rng.derive(seed, `shift:${w.sid}`, day);
  const start = tick(startOfDay + (SHIFT_START_H[w.shift] ?? 6) * H + rng.int(-10, 10) * M);
  const end = tick(start + 8 * H + rng.int(-5, 15) * M);
  const at = (offsetH: number, jitterMin: number): number => tick(start + offsetH * H + rng.int(-jitterMin, jitterMin) * M);
  const b1 = at(2, 20);
  const lunch = at(4, 20);
  const b2 = at(6, 20);
  const plan: PlannedTransition[] = [
    { t: start, activity: 'Available' },
    { t: b1, activity: 'Break' },
    { t: b1 + 15 * M, activity: 'Available' },
    { t: lunch, activity: rng.chance(0.3) ? 'Unavailable' : 'Break' },
    { t: lunch + 30 * M, activity: 'Available' },
    { t: b2, activity: 'Break' },
    { t: b2 + 15 * M + rng.int(0, 50) * TICK_MS, activity: 'Available' },
    { t: end, activity: 'Offline' },
  ];
  return plan;
}

export { DAY_MS };
