import { snapshotConversation, type ConversationSnapshot } from '../derive/conversation.js';
import type { TwilioClient } from '../../sources/twilio/client.js';
import type { Conversation } from '../../sources/twilio/schemas.js';
import { fetchConversation, listMessages, listParticipants } from '../../sources/twilio/readers.js';

/**
 * Conversation snapshots for the derivation, read at most once per run: the Conversation (state, timers), its
 * Participants (the customer's messaging binding) and Messages (`Order=asc`, for STOP keywords).
 */
export class ConversationSource {
  private readonly cache = new Map<string, Promise<ConversationSnapshot | null>>();

  constructor(
    private readonly client: TwilioClient,
    private readonly serviceSid: string | undefined,
  ) {}

  /** Already read in this run (a refresh would read the same state). */
  has(sid: string): boolean {
    return this.cache.has(sid);
  }

  /** The snapshot; null when the Conversation does not exist (404). `listed` skips the single GET. */
  get(sid: string, listed?: Conversation): Promise<ConversationSnapshot | null> {
    let p = this.cache.get(sid);
    if (!p) {
      p = this.read(sid, listed);
      this.cache.set(sid, p);
      // A failed read is not cached: the next caller tries again.
      p.catch(() => this.cache.delete(sid));
    }
    return p;
  }

  private async read(sid: string, listed?: Conversation): Promise<ConversationSnapshot | null> {
    const conv = listed ?? (await fetchConversation(this.client, this.serviceSid, sid));
    if (!conv) return null;
    const [participants, messages] = await Promise.all([listParticipants(this.client, this.serviceSid, sid), listMessages(this.client, this.serviceSid, sid)]);
    return snapshotConversation(conv, participants, messages);
  }

  /** Reads many snapshots with bounded concurrency (the Conversations budget paces them). */
  async getMany(sids: Iterable<string>, concurrency = 8): Promise<Map<string, ConversationSnapshot | null>> {
    const list = [...new Set(sids)];
    const out = new Map<string, ConversationSnapshot | null>();
    await mapLimit(list, concurrency, async (sid) => {
      out.set(sid, await this.get(sid));
    });
    return out;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; the first error rejects (after in-flight calls settle). */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
