/** Customers and the interaction plan (who contacts us, on which channel, when). */
import type { Rng } from './ids.js';
import { TICK_MS, tick } from './ids.js';
import { EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, asciiSlug } from './names.js';
import type { Country } from './phones.js';
import { makePhone } from './phones.js';
import type { Channel, GeneratorOptions } from './scales.js';
import { CHANNELS } from './scales.js';

export type Tier = 'gold' | 'silver' | 'bronze';

export interface Customer {
  idx: number;
  name: string;
  /** Some interactions carry this shorter name instead (FIRSTNAME follows the latest interaction). */
  altName: string | null;
  /** E.164 (also the WhatsApp number). */
  phone: string | null;
  /** As the customer types it (mixed case for some); the key is its trimmed lower-case form. */
  email: string | null;
  chatId: string | null;
  tier: Tier | null;
  /** Tier carried by interactions after the customer's first one (an upgrade), or null. */
  laterTier: Tier | null;
  accountId: string | null;
  /** Home channel first, optionally a second channel. */
  channels: Channel[];
  extId: string;
}

export interface Uniques {
  phones: Set<string>;
  emails: Set<string>;
}

export function customerExtId(c: Pick<Customer, 'phone' | 'email' | 'chatId'>): string {
  if (c.phone !== null) return c.phone;
  if (c.email !== null) return c.email.trim().toLowerCase();
  if (c.chatId !== null) return `chat:${c.chatId}`;
  throw new Error('customer without identity');
}

function makeEmail(rng: Rng, first: string, last: string, uniques: Uniques): string {
  const base = `${asciiSlug(first)}.${asciiSlug(last)}`;
  const domain = rng.pick(EMAIL_DOMAINS);
  for (let n = 0; ; n++) {
    const local = n === 0 ? base : `${base}${n + rng.int(1, 90)}`;
    const key = `${local}@${domain}`.toLowerCase();
    if (uniques.emails.has(key)) continue;
    uniques.emails.add(key);
    // a quarter keep the capitals of their name and domain, the rest type it in lower case
    return rng.chance(0.25) ? `${local}@${domain[0]?.toUpperCase()}${domain.slice(1)}` : key;
  }
}

export function makeCustomer(rng: Rng, idx: number, home: Channel, opts: GeneratorOptions, uniques: Uniques): Customer {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const hasPhone = home !== 'webchat' || rng.chance(0.35);
  const country = rng.weighted<Country>([
    ['US', 0.85],
    ['GB', 0.05],
    ['FR', 0.05],
    ['DE', 0.05],
  ]);
  const phone = hasPhone ? makePhone(rng, country, uniques.phones) : null;
  const channels: Channel[] = [home];
  if (phone !== null && rng.chance(opts.multiChannelShare)) {
    channels.push(rng.pick(CHANNELS.filter((c) => c !== home)));
  }
  const email = rng.chance(opts.emailShare) ? makeEmail(rng, first, last, uniques) : null;
  const chatId = channels.includes('webchat') ? `${asciiSlug(first).toLowerCase()}_${rng.hex(10)}` : null;
  const tier = rng.weighted<Tier | null>([
    ['gold', 0.15],
    ['silver', 0.3],
    ['bronze', 0.35],
    [null, 0.2],
  ]);
  const laterTier: Tier | null = tier !== null && tier !== 'gold' && rng.chance(0.06) ? (tier === 'bronze' ? 'silver' : 'gold') : null;
  const accountId = rng.chance(0.7) ? `ACCT-${String(rng.int(100000, 999999))}` : null;
  const c: Customer = { idx, name: `${first} ${last}`, altName: rng.chance(0.05) ? first : null, phone, email, chatId, tier, laterTier, accountId, channels, extId: '' };
  c.extId = customerExtId(c);
  return c;
}

export function makeCustomers(rng: Rng, count: number, startIdx: number, opts: GeneratorOptions, uniques: Uniques): Customer[] {
  const mix = CHANNELS.map((c) => [c, opts.channelMix[c]] as const);
  const out: Customer[] = [];
  for (let i = 0; i < count; i++) out.push(makeCustomer(rng, startIdx + i, rng.weighted(mix), opts, uniques));
  return out;
}

export const KIND_OK = 0;
export const KIND_MALFORMED = 1;
export const KIND_UNKNOWN_CHANNEL = 2;

/** The plan, in compact typed arrays (bounded memory even for the large preset), sorted by creation time. */
export interface Plan {
  count: number;
  times: Float64Array;
  /** Position in the customer list passed to `planInteractions`. */
  customer: Int32Array;
  /** Index in CHANNELS. */
  channel: Uint8Array;
  kind: Uint8Array;
  /** 1 on each customer's latest valid interaction of this plan. */
  latest: Uint8Array;
}

/** Hourly arrival weight (UTC): busy 13–22h, quiet at night; weekends at 60 %. */
export function arrivalWeight(ms: number): number {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const hourW = h >= 13 && h < 22 ? 1 : h >= 6 && h < 13 ? 0.6 : 0.15;
  const dow = d.getUTCDay();
  return hourW * (dow === 0 || dow === 6 ? 0.6 : 1);
}

export interface PlanInput {
  n: number;
  startMs: number;
  endMs: number;
  customers: readonly Customer[];
  /** Positions that must get at least one interaction (each exactly once before the extra picks). */
  required: number;
  /** Picks the position of a returning customer for the remaining interactions. */
  pickExtra: (rng: Rng) => number;
  malformedShare: number;
  /** Use the arrival profile (false: uniform, for short generateMore windows). */
  profile: boolean;
}

export function planInteractions(rng: Rng, input: PlanInput): Plan {
  const { n, startMs, endMs, customers } = input;
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (;;) {
      const t = startMs + rng.float() * (endMs - startMs);
      if (!input.profile || rng.float() < arrivalWeight(t)) {
        times[i] = tick(t);
        break;
      }
    }
  }
  times.sort();
  for (let i = 1; i < n; i++) if ((times[i] as number) <= (times[i - 1] as number)) times[i] = (times[i - 1] as number) + TICK_MS;
  const over = (times[n - 1] ?? 0) - tick(endMs);
  if (over > 0) for (let i = 0; i < n; i++) times[i] = (times[i] as number) - over;

  const who = new Int32Array(n);
  for (let i = 0; i < n; i++) who[i] = i < input.required ? i : input.pickExtra(rng);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    const a = who[i] as number;
    who[i] = who[j] as number;
    who[j] = a;
  }

  const channel = new Uint8Array(n);
  const perCustomer = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = customers[who[i] as number];
    if (c === undefined) throw new Error('plan: customer out of range');
    const ch = c.channels.length > 1 && rng.chance(0.35) ? (c.channels[1] as Channel) : (c.channels[0] as Channel);
    channel[i] = CHANNELS.indexOf(ch);
    perCustomer.set(who[i] as number, (perCustomer.get(who[i] as number) ?? 0) + 1);
  }

  // dead letters: never a customer's first interaction of the plan, so every customer keeps a valid one
  const kind = new Uint8Array(n);
  const half = (input.malformedShare * n) / 2;
  const minOne = input.malformedShare > 0 && n >= 100 ? 1 : 0;
  const wanted = [Math.max(minOne, Math.round(half)), Math.max(minOne, Math.round(half))];
  const seen = new Set<number>();
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) {
    if (seen.has(who[i] as number)) candidates.push(i);
    else seen.add(who[i] as number);
  }
  rng.shuffle(candidates);
  let k = 0;
  for (const [j, w] of wanted.entries()) {
    for (let m = 0; m < w && k < candidates.length; m++) kind[candidates[k++] as number] = j === 0 ? KIND_MALFORMED : KIND_UNKNOWN_CHANNEL;
  }

  const latest = new Uint8Array(n);
  const lastValid = new Map<number, number>();
  for (let i = 0; i < n; i++) if (kind[i] === KIND_OK) lastValid.set(who[i] as number, i);
  for (const i of lastValid.values()) latest[i] = 1;
  return { count: n, times, customer: who, channel, kind, latest };
}
