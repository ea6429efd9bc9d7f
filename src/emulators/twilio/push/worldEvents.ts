import type { Database } from 'better-sqlite3';
import type { EventRow } from '../taskrouter/render.js';

/** A conversation-side event derived from the Conversations tables (they keep no event log of their own). */
export interface ConvEvent {
  type: 'conversation.added' | 'participant.added' | 'message.added' | 'conversation-state.updated';
  at: number;
  /** Stable identity of the event (used for CloudEvent ids). */
  key: string;
  conv: ConvRecord;
  message?: MessageRecord;
  participant?: ParticipantRecord;
  stateFrom?: string;
  stateTo?: string;
}

export interface ConvRecord {
  sid: string; chat_service_sid: string; messaging_service_sid: string | null; friendly_name: string | null; unique_name: string | null;
  attributes: string; state: string; date_created_ms: number; date_updated_ms: number; date_inactive_ms: number | null; date_closed_ms: number | null;
}
export interface MessageRecord { sid: string; conversation_sid: string; idx: number; author: string; body: string | null; participant_sid: string | null; attributes: string; date_created_ms: number }
export interface ParticipantRecord { sid: string; conversation_sid: string; identity: string | null; messaging_binding: string | null; attributes: string; role_sid: string | null; date_created_ms: number }

export type WorldEvent = { source: 'taskrouter'; at: number; key: string; row: EventRow } | { source: 'conversations'; at: number; key: string; ev: ConvEvent };

/** TaskRouter events in [since, until], oldest first. */
export function taskRouterEvents(db: Database, since: number, until: number): WorldEvent[] {
  const rows = db.prepare('SELECT * FROM events WHERE event_date_ms >= ? AND event_date_ms <= ? ORDER BY event_date_ms, seq').all(since, until) as EventRow[];
  return rows.map((row) => ({ source: 'taskrouter', at: row.event_date_ms, key: row.sid, row }));
}

/** Conversation added / participant added / message added / state changes in [since, until], oldest first. */
export function conversationEvents(db: Database, since: number, until: number): WorldEvent[] {
  const convs = new Map<string, ConvRecord>();
  const conv = (sid: string): ConvRecord | undefined => {
    let c = convs.get(sid);
    if (!c) {
      c = db.prepare('SELECT * FROM conversations WHERE sid = ?').get(sid) as ConvRecord | undefined;
      if (c) convs.set(sid, c);
    }
    return c;
  };
  const out: ConvEvent[] = [];
  const inWindow = (t: number | null): t is number => t !== null && t >= since && t <= until;
  for (const c of db.prepare('SELECT * FROM conversations WHERE date_created_ms <= ? AND (date_created_ms >= ? OR date_inactive_ms >= ? OR date_closed_ms >= ?)').all(until, since, since, since) as ConvRecord[]) {
    convs.set(c.sid, c);
    if (inWindow(c.date_created_ms)) out.push({ type: 'conversation.added', at: c.date_created_ms, key: `${c.sid}:added`, conv: c });
    if (inWindow(c.date_inactive_ms)) {
      out.push({ type: 'conversation-state.updated', at: c.date_inactive_ms, key: `${c.sid}:inactive`, conv: c, stateFrom: 'active', stateTo: 'inactive' });
    }
    if (inWindow(c.date_closed_ms)) {
      const from = c.date_inactive_ms !== null && c.date_inactive_ms <= c.date_closed_ms ? 'inactive' : 'active';
      out.push({ type: 'conversation-state.updated', at: c.date_closed_ms, key: `${c.sid}:closed`, conv: c, stateFrom: from, stateTo: 'closed' });
    }
  }
  for (const p of db.prepare('SELECT * FROM participants WHERE date_created_ms >= ? AND date_created_ms <= ?').all(since, until) as ParticipantRecord[]) {
    const c = conv(p.conversation_sid);
    if (c) out.push({ type: 'participant.added', at: p.date_created_ms, key: `${p.sid}:added`, conv: c, participant: p });
  }
  const partOf = db.prepare('SELECT * FROM participants WHERE sid = ?');
  for (const m of db.prepare('SELECT * FROM messages WHERE date_created_ms >= ? AND date_created_ms <= ?').all(since, until) as MessageRecord[]) {
    const c = conv(m.conversation_sid);
    const participant = m.participant_sid ? (partOf.get(m.participant_sid) as ParticipantRecord | undefined) : undefined;
    if (c) out.push({ type: 'message.added', at: m.date_created_ms, key: `${m.sid}:added`, conv: c, message: m, ...(participant ? { participant } : {}) });
  }
  const rank: Record<ConvEvent['type'], number> = { 'conversation.added': 0, 'participant.added': 1, 'message.added': 2, 'conversation-state.updated': 3 };
  out.sort((a, b) => a.at - b.at || rank[a.type] - rank[b.type] || a.key.localeCompare(b.key));
  return out.map((ev) => ({ source: 'conversations', at: ev.at, key: ev.key, ev }));
}

/** Both feeds merged by time. */
export function allEvents(db: Database, since: number, until: number): WorldEvent[] {
  return [...taskRouterEvents(db, since, until), ...conversationEvents(db, since, until)].sort((a, b) => a.at - b.at);
}
