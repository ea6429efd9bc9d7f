import { snapshotConversation, type ConversationInput, type ConversationSnapshot, type MessageInput, type ParticipantInput } from '../derive/conversation.js';
import type { TwilioClient } from '../../sources/twilio/client.js';
import type { Conversation, Message, Participant } from '../../sources/twilio/schemas.js';
import { fetchConversation, listConversations, listMessages, listParticipants } from '../../sources/twilio/readers.js';

/** What a task needs from its Conversation: Participants only to resolve the channel, Messages only for STOP. */
export interface ConversationNeed {
  participants: boolean;
  messages: boolean;
  /** The task's `from`: identifies the customer's messages when Participants are not read. */
  customerAddress?: string | undefined;
}

export const FULL_READ: ConversationNeed = { participants: true, messages: true };

const DAY_MS = 86_400_000;
/**
 * Reads kept per cache. A run's windows move forward in time, so only the recent days' Conversations are asked for
 * again: older entries are dropped (insertion order) and memory stays flat however long the backfill. A dropped one
 * that is needed again is read again.
 */
const CACHE_MAX = 5_000;
/** Participants and Messages are asked for again only when an open Conversation's task is derived again: fewer kept. */
const PARTS_MAX = 1_000;

// The caches keep only the fields a snapshot is made of (../derive/conversation.ts): a Conversation as Twilio returns
// it also carries its url, four links, attributes and bindings, about 1.5 KB each, and a large backfill primes
// thousands of them from the day lists.
const slimConversation = (c: Conversation): ConversationInput => ({
  sid: c.sid,
  state: c.state,
  date_created: c.date_created,
  date_updated: c.date_updated,
  timers: c.timers ? { date_closed: c.timers.date_closed, date_inactive: c.timers.date_inactive } : null,
});
const slimParticipant = (p: Participant): ParticipantInput => ({
  sid: p.sid,
  identity: p.identity,
  messaging_binding: p.messaging_binding ? { type: p.messaging_binding.type, address: p.messaging_binding.address } : null,
});
const slimMessage = (m: Message): MessageInput => ({ sid: m.sid, author: m.author, body: m.body, participant_sid: m.participant_sid, date_created: m.date_created });

/** Closed as the snapshot sees it (../derive/conversation.ts: a close timer, or the closed state). */
const isClosed = (c: Pick<ConversationInput, 'state' | 'timers'>): boolean => Boolean(c.timers?.date_closed) || c.state === 'closed';

function remember<T>(cache: Map<string, T>, key: string, value: T, max = CACHE_MAX): void {
  cache.set(key, value);
  if (cache.size > max) cache.delete(cache.keys().next().value as string);
}
/** From this many Conversations at once, listing their creation days (100 per page) beats one GET each. */
const LIST_THRESHOLD = 20;

/**
 * Conversation reads for the derivation, each part at most once per run: the Conversation (state, timers), its
 * Participants (the customer's binding type) and Messages (`Order=asc`, STOP keywords) — the last two only when the
 * task needs them. Many at once are primed from the list of their creation days instead of one GET each.
 * With `messageBodies` (config `message_bodies` not `off`) the Messages of every CLOSED Conversation are read too
 * and its snapshot carries the customer's first and last bodies; with it off nothing more is read than without.
 */
export class ConversationSource {
  private readonly conv = new Map<string, Promise<ConversationInput | null>>();
  private readonly parts = new Map<string, Promise<ParticipantInput[]>>();
  private readonly msgs = new Map<string, Promise<MessageInput[]>>();
  private readonly listedDays = new Set<string>();
  /**
   * Conversations read or listed in this run while still OPEN (sids only): the refresh stream skips them. A closed one
   * is not kept: its interaction already carries the close time, and the refresh asks only for interactions without
   * one, so a large backfill's tens of thousands of closed Conversations cost nothing here.
   */
  private readonly readOpen = new Set<string>();

  /** Closed snapshots carry the customer's first/last bodies (their Messages are read even for web chat). */
  readonly messageBodies: boolean;

  constructor(
    private readonly client: TwilioClient,
    private readonly serviceSid: string | undefined,
    opts: { messageBodies?: boolean } = {},
  ) {
    this.messageBodies = opts.messageBodies === true;
  }

  /** Already read in this run (a refresh would read the same state). */
  has(sid: string): boolean {
    return this.readOpen.has(sid);
  }

  /** A Conversation seen in a list response: no GET needed for it. */
  prime(c: Conversation): void {
    if (!isClosed(c)) this.readOpen.add(c.sid);
    if (!this.conv.has(c.sid)) remember(this.conv, c.sid, Promise.resolve(slimConversation(c)));
  }

  /** Lists the Conversations created on the UTC days of [startMs, endMs] (each day once per run). */
  async primeDays(startMs: number, endMs: number): Promise<void> {
    for (let d = Math.floor(startMs / DAY_MS) * DAY_MS; d <= endMs; d += DAY_MS) {
      const key = new Date(d).toISOString().slice(0, 10);
      if (this.listedDays.has(key)) continue;
      for await (const page of listConversations(this.client, this.serviceSid, d, d)) for (const c of page.items) this.prime(c);
      this.listedDays.add(key);
    }
  }

  private once<T>(cache: Map<string, Promise<T>>, sid: string, read: () => Promise<T>): Promise<T> {
    let p = cache.get(sid);
    if (!p) {
      p = read();
      remember(cache, sid, p, cache === this.conv ? CACHE_MAX : PARTS_MAX);
      // A failed read is not cached: the next caller tries again.
      p.then(
        (v) => {
          // a Conversation still open, or one that does not exist (its interaction has no close time either)
          if (cache === this.conv && (v === null || !isClosed(v as ConversationInput))) this.readOpen.add(sid);
        },
        () => cache.delete(sid),
      );
    }
    return p;
  }

  /** The snapshot with what `need` asks for; null when the Conversation does not exist (404). */
  async snapshot(sid: string, need: ConversationNeed = FULL_READ): Promise<ConversationSnapshot | null> {
    const conv = await this.once(this.conv, sid, async () => {
      const c = await fetchConversation(this.client, this.serviceSid, sid);
      return c ? slimConversation(c) : null;
    });
    if (!conv) return null;
    const bodies = this.messageBodies && (Boolean(conv.timers?.date_closed) || conv.state === 'closed');
    const [participants, messages] = await Promise.all([
      need.participants ? this.once(this.parts, sid, async () => (await listParticipants(this.client, this.serviceSid, sid)).map(slimParticipant)) : Promise.resolve([]),
      need.messages || bodies ? this.once(this.msgs, sid, async () => (await listMessages(this.client, this.serviceSid, sid)).map(slimMessage)) : Promise.resolve([]),
    ]);
    return snapshotConversation(conv, participants, messages, { customerAddress: need.customerAddress, bodies });
  }

  /** Full snapshot (binding, state, messages); `listed` skips the GET. */
  get(sid: string, listed?: Conversation): Promise<ConversationSnapshot | null> {
    if (listed) this.prime(listed);
    return this.snapshot(sid, FULL_READ);
  }

  /** Full snapshots of many Conversations, with bounded concurrency. */
  getMany(sids: Iterable<string>, concurrency = 8): Promise<Map<string, ConversationSnapshot | null>> {
    return this.snapshots(new Map([...sids].map((s) => [s, FULL_READ])), { concurrency });
  }

  /**
   * Snapshots for many Conversations with their needs. With `createdWithin` (the window their tasks were created in)
   * and enough of them, the creation days are listed first so no Conversation needs its own GET.
   */
  async snapshots(needs: ReadonlyMap<string, ConversationNeed>, opts: { concurrency?: number; createdWithin?: [number, number] } = {}): Promise<Map<string, ConversationSnapshot | null>> {
    const missing = [...needs.keys()].filter((s) => !this.conv.has(s));
    if (opts.createdWithin && missing.length >= LIST_THRESHOLD) await this.primeDays(opts.createdWithin[0] - DAY_MS, opts.createdWithin[1]);
    const out = new Map<string, ConversationSnapshot | null>();
    await mapLimit([...needs], opts.concurrency ?? 8, async ([sid, need]) => {
      out.set(sid, await this.snapshot(sid, need));
    });
    return out;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; the first error rejects (after in-flight calls settle). */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed.err;
}
