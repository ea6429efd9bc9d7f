/**
 * The minimal request plan of a full sync, computed from the data (the emulator's world file and ground truth), and
 * its rate-limit floor: for each documented budget, the plan's requests on it ÷ its rate; the floor is the largest.
 *
 * The plan — what a connector cannot do with fewer requests, given the APIs:
 * - Flex: `GET /v1/Configuration` once (workspace and Conversations service discovery).
 * - TaskRouter: TaskQueues, Workers, Activities lists (⌈n / 1000⌉ pages each, PageSize 1000); Events over the whole
 *   30-day retention as one walk: ⌈events / 1000⌉ pages (a page holds at most 1000). No single-Task fetch: every
 *   task event carries `task_attributes`. Events spend the Events budget (20 rps) AND the workspace budget (30 rps).
 * - Conversations (100 rps), for the synced messaging tasks: the Conversations themselves (state, close time) from the
 *   list (⌈conversations / 100⌉ pages, PageSize ≤ 100, filtered by creation date); Participants (⌈p / 100⌉ pages, at
 *   least one request) only where the task's `channelType` does not give the channel (the binding type does); Messages
 *   (⌈m / 100⌉ pages, at least one) only for sms/whatsapp, where a STOP keyword sets the blacklist flag.
 * - Brevo contacts (`/contacts/*`, 10 rps): one `POST /contacts/import` per distinct list set, split at Brevo's
 *   recommended 8 MB body; contacts with a consent flag (`smsBlacklisted`/`whatsappBlacklisted`) cannot go in an import
 *   (its blacklist switches apply to the whole file) and are one `POST /contacts` each. Each import costs one
 *   `GET /processes/{id}` poll on the 100-per-hour catch-all.
 * - Brevo events: `POST /events` singles (10 rps) and `POST /events/batch` (≤ 200 events, on the 100-per-hour
 *   catch-all). The plan is the mix that finishes soonest: the least T with singles(T) + 200 · batches(T) ≥ events,
 *   where batches(T) is the catch-all tokens available by T (those left in the current window — the emulator's
 *   hourly window started with it — then 100 per new window) minus the import polls. Among plans with that T it uses
 *   every batch token (fewest requests).
 * Each bucket allows a burst of one second of requests, counted in the floor. Rates are in emulated seconds; the floor
 * in real seconds is divided by the time scale.
 */
import Database from 'better-sqlite3';

export const RETENTION_MS = 30 * 86_400_000 - 5 * 60_000;
const IMPORT_MAX_BYTES = 8 * 1024 * 1024;

export interface TruthLike {
  counts: { events: number };
  contacts: Array<{ ext_id: string; email?: string; attributes: Record<string, unknown>; listKeys: string[]; smsBlacklisted?: boolean; whatsappBlacklisted?: boolean }>;
}

export interface BudgetFloor {
  budget: string;
  ratePerSecond: number;
  requests: number;
  /** Emulated seconds. */
  seconds: number;
}

export interface Plan {
  /** API group → minimal requests. Keys match `groupTwilio` / `groupBrevo`. */
  requests: Record<string, number>;
  budgets: BudgetFloor[];
  /** Emulated seconds (max over budgets) and real seconds (÷ time scale). */
  floorEmulatedS: number;
  floorRealS: number;
  floorBudget: string;
  data: Record<string, number>;
}

export interface PlanInput {
  worldPath: string;
  truth: TruthLike;
  /** Emulated now at the start of the sync (the sync reads up to it). */
  runNowMs: number;
  timeScale: number;
  /** Catch-all tokens left in the emulator's current hourly window at sync start, and emulated seconds until it resets. */
  hourlyLeft: number;
  hourlyResetS: number;
}

const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
const drain = (requests: number, rate: number, burst = rate) => Math.max(0, requests - burst) / rate;

/** Least T (emulated s) for `events` given singles at 10/s and the catch-all's batch tokens over time. */
export function eventsFloor(events: number, tokensNow: number, resetS: number, perBatch = 200, rate = 10, perHour = 100): { seconds: number; batches: number; singles: number } {
  if (events <= 0) return { seconds: 0, batches: 0, singles: 0 };
  let best = { seconds: Number.POSITIVE_INFINITY, batches: 0, singles: 0 };
  for (let k = 0; k < 1000; k++) {
    const tokens = Math.max(0, tokensNow) + perHour * k;
    const windowStart = k === 0 ? 0 : resetS + 3600 * (k - 1);
    if (windowStart >= best.seconds) break;
    const batches = Math.min(tokens, Math.ceil(events / perBatch));
    const singles = Math.max(0, events - batches * perBatch);
    const t = Math.max(windowStart, drain(singles, rate));
    if (t < best.seconds) best = { seconds: t, batches, singles };
  }
  return best;
}

export function computePlan(i: PlanInput): Plan {
  const db = new Database(i.worldPath, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string, ...p: unknown[]) => Number((db.prepare(sql).get(...p) as { n: number | null }).n ?? 0);
    const start = i.runNowMs - RETENTION_MS;
    const trEvents = one('SELECT COUNT(*) AS n FROM events WHERE event_date_ms >= ? AND event_date_ms <= ?', start, i.runNowMs);
    const queues = one('SELECT COUNT(*) AS n FROM task_queues');
    const workers = one('SELECT COUNT(*) AS n FROM workers');
    const activities = one('SELECT COUNT(*) AS n FROM activities');
    // Conversations of the synced messaging tasks (non-survey, valid attributes, created in the read range).
    const conv = db
      .prepare(
        `SELECT c.sid, json_extract(t.attributes, '$.channelType') AS ct,
           (SELECT json_extract(p.messaging_binding, '$.type') FROM participants p
             WHERE p.conversation_sid = c.sid AND p.messaging_binding IS NOT NULL LIMIT 1) AS binding,
           (SELECT COUNT(*) FROM participants p WHERE p.conversation_sid = c.sid) AS np,
           (SELECT COUNT(*) FROM messages m WHERE m.conversation_sid = c.sid) AS nm
         FROM tasks t JOIN conversations c ON c.sid = json_extract(t.attributes, '$.conversationSid')
         WHERE json_valid(t.attributes) AND lower(coalesce(json_extract(t.attributes, '$.conversations.kind'), '')) <> 'survey'
           AND t.date_created_ms >= ? AND t.date_created_ms <= ?`,
      )
      .all(start, i.runNowMs) as Array<{ sid: string; ct: string | null; binding: string | null; np: number; nm: number }>;
    const KNOWN: Record<string, string> = { web: 'webchat', chat: 'webchat', webchat: 'webchat', sms: 'sms', whatsapp: 'whatsapp' };
    let participantPages = 0;
    let messagePages = 0;
    for (const c of conv) {
      const fromAttributes = c.ct !== null ? KNOWN[c.ct.toLowerCase()] : undefined;
      // Participants only when the attributes do not give the channel; Messages only where STOP matters (sms, whatsapp).
      if (fromAttributes === undefined) participantPages += pages(c.np, 100);
      const channel = fromAttributes ?? c.binding ?? undefined;
      if (channel === 'sms' || channel === 'whatsapp') messagePages += pages(c.nm, 100);
    }
    const conversations = new Set(conv.map((c) => c.sid)).size;

    // Brevo contacts: imports per list set (8 MB bodies), consent-flagged contacts one by one.
    const groups = new Map<string, number>();
    let singles = 0;
    for (const c of i.truth.contacts) {
      if (c.smsBlacklisted || c.whatsappBlacklisted) {
        singles++;
        continue;
      }
      const key = [...c.listKeys].sort().join(',');
      groups.set(key, (groups.get(key) ?? 0) + JSON.stringify({ ext_id: c.ext_id, email: c.email, attributes: c.attributes }).length + 1);
    }
    const imports = [...groups.values()].reduce((s, bytes) => s + Math.ceil(bytes / IMPORT_MAX_BYTES), 0);
    const polls = imports;
    const ev = eventsFloor(i.truth.counts.events, i.hourlyLeft - polls, i.hourlyResetS);

    const requests: Record<string, number> = {
      'twilio flex': 1,
      'twilio taskrouter lists': pages(queues, 1000) + pages(workers, 1000) + pages(activities, 1000),
      'twilio taskrouter events': pages(trEvents, 1000),
      'twilio taskrouter task fetch': 0,
      'twilio conversations list+fetch': conversations > 0 ? Math.ceil(conversations / 100) : 0,
      'twilio participants': participantPages,
      'twilio messages': messagePages,
      'brevo contacts import': imports,
      'brevo contacts single': singles,
      'brevo list add/remove': 0,
      'brevo processes poll': polls,
      'brevo events single': ev.singles,
      'brevo events batch': ev.batches,
    };
    const convRequests = requests['twilio conversations list+fetch']! + participantPages + messagePages;
    const trAll = requests['twilio taskrouter events']! + requests['twilio taskrouter lists']!;
    const budgets: BudgetFloor[] = [
      { budget: 'twilio flex (100 rps)', ratePerSecond: 100, requests: 1, seconds: drain(1, 100) },
      { budget: 'twilio taskrouter events (20 rps)', ratePerSecond: 20, requests: requests['twilio taskrouter events']!, seconds: drain(requests['twilio taskrouter events']!, 20) },
      { budget: 'twilio taskrouter workspace (30 rps)', ratePerSecond: 30, requests: trAll, seconds: drain(trAll, 30) },
      { budget: 'twilio conversations (100 rps)', ratePerSecond: 100, requests: convRequests, seconds: drain(convRequests, 100) },
      { budget: 'brevo contacts (10 rps)', ratePerSecond: 10, requests: imports + singles, seconds: drain(imports + singles, 10) },
      { budget: 'brevo events singles (10 rps) + batches (100/h)', ratePerSecond: 10, requests: ev.singles + ev.batches + polls, seconds: ev.seconds },
    ];
    const top = budgets.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    return {
      requests,
      budgets,
      floorEmulatedS: top.seconds,
      floorRealS: top.seconds / i.timeScale,
      floorBudget: top.budget,
      data: { taskrouterEvents: trEvents, conversations, participantPages, messagePages, contacts: i.truth.contacts.length, consentSingles: singles, brevoEvents: i.truth.counts.events, queues, workers, activities },
    };
  } finally {
    db.close();
  }
}

/** Emulator request-log key (`GET /taskrouter/v1/Workspaces/{WorkspaceSid}/Events`) → plan group. */
export function groupTwilio(key: string): string {
  if (key.includes('/flex-api/')) return 'twilio flex';
  if (/\/Events$/.test(key) && key.includes('/taskrouter/')) return 'twilio taskrouter events';
  if (/\/Tasks\/\{[A-Za-z]+\}$/.test(key)) return 'twilio taskrouter task fetch';
  if (key.includes('/taskrouter/')) return 'twilio taskrouter lists';
  if (/\/Participants$/.test(key)) return 'twilio participants';
  if (/\/Messages$/.test(key)) return 'twilio messages';
  if (key.includes('/Conversations')) return 'twilio conversations list+fetch';
  return `twilio other: ${key}`;
}

/** Brevo emulator request-log key (`POST /contacts/import`) → plan group. */
export function groupBrevo(key: string): string {
  const [method, path = ''] = key.split(' ');
  if (path === '/contacts/import') return 'brevo contacts import';
  if (path.startsWith('/processes')) return 'brevo processes poll';
  if (/^\/contacts\/lists\/\{[A-Za-z]+\}\/contacts\/(add|remove)$/.test(path)) return 'brevo list add/remove';
  if (path === '/events/batch') return 'brevo events batch';
  if (path === '/events' && method === 'POST') return 'brevo events single';
  if (path === '/contacts' || /^\/contacts\/\{[A-Za-z]+\}$/.test(path)) return 'brevo contacts single';
  return `brevo other: ${key}`;
}
