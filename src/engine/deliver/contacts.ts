/** Contact and list-membership delivery: bulk import or one-by-one upserts, as `planContacts` decides. */
import { attributeValueProblem } from '../../sinks/brevo/bootstrap.js';
import { parseImportReport, reasonForReportField } from '../../sinks/brevo/classify.js';
import { importEntry } from '../../sinks/brevo/classify.js';
import { IMPORT_MAX_BYTES, IMPORT_REPORT_FIELDS, type BrevoProcess, type ContactPayload, type ImportReportField, type ListChangePayload } from '../../sinks/brevo/types.js';
import type { DeadLetterReason, OutboxItem } from '../../store/types.js';
import { sleep } from '../http.js';
import { pool, settleAll, type DeliveryContext } from './outcome.js';
import { planContacts } from './planner.js';

export interface ContactDeliveryConfig {
  /** Import from this many importable contacts up (live rows: an import adds Brevo's processing latency). */
  importThreshold: number;
  /**
   * The same for backfill rows (priority 1, a sync): their events wait anyway, and one import call replaces many
   * upserts. Default 20.
   */
  backfillImportThreshold?: number;
  maxPerImport: number;
  /** Parallel one-by-one upserts (the contacts budget paces them). */
  concurrency: number;
  /** Give up waiting for an import after this long (real ms): its rows are retried. */
  importWaitMs: number;
  notifyUrl?: string;
  /** Resolves when Brevo calls `notifyUrl` for this process (server side); polling is used without it. */
  waitForProcess?: (processId: number, signal?: AbortSignal) => Promise<void>;
}

interface Row {
  item: OutboxItem;
  c: ContactPayload;
  known: boolean;
}

function parseContact(p: unknown): ContactPayload | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const c = p as Partial<ContactPayload>;
  if (typeof c.ext_id !== 'string' || c.ext_id === '') return undefined;
  return { ...c, ext_id: c.ext_id, attributes: c.attributes ?? {}, listIds: Array.isArray(c.listIds) ? c.listIds : [] } as ContactPayload;
}

/**
 * Deliver claimed `contact` rows. Returns the ext_ids whose contact is not in Brevo yet after this run
 * (retried or released): their events must wait.
 */
export async function deliverContacts(ctx: DeliveryContext, items: readonly OutboxItem[], cfg: ContactDeliveryConfig): Promise<Set<string>> {
  const rows: Row[] = [];
  const ledger = items.length ? await ctx.store.delivered(items.map((i) => i.key)) : new Map<string, string | null>();
  for (const item of items) {
    const c = parseContact(item.payload);
    if (!c) {
      await ctx.dead(item, 'missing_identity', 'contact payload has no ext_id');
      continue;
    }
    const sent = ledger.get(item.key);
    // Same content already delivered (a replay or a re-enqueue): nothing to send.
    if (sent !== undefined && sent !== null && item.contentHash !== undefined && sent === item.contentHash) {
      await ctx.complete([item]);
      continue;
    }
    rows.push({ item, c, known: ledger.has(item.key) });
  }

  await dropIgnoredAttributes(ctx, rows);

  // Brevo's import needs `listIds` (or `newList`): a contact with no list (lists not configured) goes one by one. So
  // does a contact whose email another customer also holds: an import row matched by its email would set its ext_id
  // on the other customer's contact (re-keying it), where a single upsert reads the owner first (BrevoClient.upsertContact).
  const shared = await emailsOfOthers(ctx, rows);
  const importable = rows.filter((r) => !r.c.smsBlacklisted && !r.c.whatsappBlacklisted && r.c.listIds.length > 0 && !shared.has(r));
  const plan = planContacts({
    importable: importable.length,
    singlesOnly: rows.length - importable.length,
    contacts: ctx.brevo.budgets.contacts.capacity(),
    other: ctx.brevo.budgets.other.capacity(),
    threshold: importable.length > 0 && importable.every((r) => r.item.priority === 1) ? Math.min(cfg.importThreshold, cfg.backfillImportThreshold ?? 20) : cfg.importThreshold,
    maxPerImport: cfg.maxPerImport,
    notify: cfg.waitForProcess !== undefined && cfg.notifyUrl !== undefined,
    // The round's imports share their polls (one `GET /processes` list), and the events lane already keeps a couple
    // of catch-all tokens back for them: one free token is enough to import.
    pollsPerImport: 1,
    otherReserve: 0,
  });
  if (rows.length) ctx.logger.debug({ contacts: rows.length, plan: plan.reason }, 'contact delivery plan');
  const viaImport = plan.importCalls > 0 ? importable : [];
  const imported = new Set(viaImport);
  const singles = rows.filter((r) => !imported.has(r));

  await settleAll([deliverImports(ctx, viaImport, cfg), deliverSingles(ctx, singles, cfg.concurrency)]);
  const inBrevo = (id: number) => ['delivered', 'dead'].includes(ctx.outcome(id) ?? '');
  return new Set(rows.filter((r) => !inBrevo(r.item.id)).map((r) => r.c.ext_id));
}

/** The rows whose email another customer of the store also holds. */
async function emailsOfOthers(ctx: DeliveryContext, rows: readonly Row[]): Promise<Set<Row>> {
  const emails = [...new Set(rows.map((r) => r.c.email?.toLowerCase()).filter((e): e is string => e !== undefined && e !== ''))];
  if (!emails.length) return new Set();
  const holders = await ctx.store.customerKeysByEmail(ctx.connectorId, emails);
  return new Set(rows.filter((r) => r.c.email !== undefined && (holders.get(r.c.email.toLowerCase()) ?? []).some((k) => k !== r.c.ext_id)));
}

/**
 * Brevo silently ignores a value for an attribute it does not have or of another type (brevo.md §0.5; an invalid
 * date can even fail the whole write): such values are not sent, and each attribute is reported once (a warning
 * naming it, its type and the fix). Without the account's attribute list (Brevo not answering it) nothing is dropped.
 */
async function dropIgnoredAttributes(ctx: DeliveryContext, rows: Row[]): Promise<void> {
  if (!rows.length) return;
  let types: ReadonlyMap<string, string>;
  try {
    types = await ctx.attributes.types(ctx.brevo, { ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } catch (err) {
    ctx.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'Brevo attribute types unavailable; contact attributes not checked');
    return;
  }
  for (const r of rows) {
    let attributes: ContactPayload['attributes'] | undefined;
    for (const [name, value] of Object.entries(r.c.attributes)) {
      const type = types.get(name.toUpperCase());
      const problem = attributeValueProblem(name.toUpperCase(), type, value);
      if (!problem) continue;
      attributes ??= { ...r.c.attributes };
      delete attributes[name];
      if (ctx.attributes.reported.has(name)) continue;
      ctx.attributes.reported.add(name);
      const message = problem === 'unknown_attribute'
        ? `Brevo has no contact attribute ${name}: its values are not sent (create it with \`tajo connectors bootstrap\` or fix field_mapping)`
        : `Brevo attribute ${name} is of type ${type ?? '?'} and would ignore the values mapped to it: they are not sent (change the type in Brevo or fix field_mapping)`;
      ctx.logger.warn({ attribute: name, problem, ...(type !== undefined ? { type } : {}) }, message);
      await ctx.onProblem?.(problem === 'unknown_attribute' ? 'TAJO_BREVO_ATTRIBUTE_MISSING' : 'TAJO_BREVO_ATTRIBUTE_TYPE', message);
    }
    if (attributes) r.c = { ...r.c, attributes };
  }
}

async function deliverSingles(ctx: DeliveryContext, rows: readonly Row[], concurrency: number): Promise<void> {
  await pool(rows, concurrency, () => ctx.stopped, async (r) => {
    try {
      await ctx.brevo.upsertContact(r.c, { known: r.known, priority: r.item.priority, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      await ctx.complete([r.item]);
    } catch (err) {
      await ctx.fail([r.item], err);
    }
  });
}

/** Imports grouped by list set (an import's `listIds` applies to all its rows), chunked by count and bytes. */
async function deliverImports(ctx: DeliveryContext, rows: readonly Row[], cfg: ContactDeliveryConfig): Promise<void> {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = [...new Set(r.c.listIds)].sort((a, b) => a - b).join(',');
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const jobs: Row[][] = [];
  for (const g of groups.values()) jobs.push(...importJobs(g, cfg.maxPerImport));
  if (!jobs.length || ctx.stopped) return;
  // Imports run in parallel (each mostly waits for Brevo's processing) and are watched together: one poll of the
  // process list answers for all of them. The polls are reserved so the events lane leaves their tokens alone.
  const polls = cfg.waitForProcess ? 1 : 2;
  ctx.reservedPolls += polls;
  try {
    const priority = Math.min(...rows.map((r) => r.item.priority)) as 0 | 1;
    const o = { priority, ...(ctx.signal ? { signal: ctx.signal } : {}) };
    // One body at a time (each is up to 8 MB): the contacts budget (10 rps) paces them anyway.
    const live: { job: Row[]; id: number }[] = [];
    for (const job of jobs) {
      try {
        const id = await ctx.brevo.importContacts(job.map((r) => r.c), { ...o, listIds: job[0]!.c.listIds, ...(cfg.notifyUrl ? { notifyUrl: cfg.notifyUrl } : {}) });
        live.push({ job, id });
      } catch (err) {
        await ctx.fail(job.map((r) => r.item), err);
      }
    }
    if (!live.length) return;
    let procs: Map<number, BrevoProcess>;
    try {
      procs = await awaitProcesses(ctx, live.map((x) => x.id), Math.max(...live.map((x) => x.job.length)), cfg, o);
    } catch (err) {
      for (const x of live) await ctx.fail(x.job.map((r) => r.item), err);
      return;
    }
    await settleAll(live.map((x) => finishImport(ctx, x.job, x.id, procs.get(x.id), cfg)));
  } finally {
    ctx.reservedPolls -= polls;
  }
}

/** Import bodies of at most `maxPerImport` rows and Brevo's recommended 8 MB (a row alone over it still goes alone). */
export function importJobs<R extends { c: ContactPayload }>(rows: readonly R[], maxPerImport: number): R[][] {
  const wrapper = 200; // {"jsonBody":[…],"listIds":[…],…} around the rows
  const jobs: R[][] = [];
  let cur: R[] = [];
  let bytes = wrapper;
  for (const r of rows) {
    const size = Buffer.byteLength(JSON.stringify(importEntry(r.c)), 'utf8') + 1;
    if (cur.length > 0 && (cur.length >= maxPerImport || bytes + size > IMPORT_MAX_BYTES)) {
      jobs.push(cur);
      cur = [];
      bytes = wrapper;
    }
    cur.push(r);
    bytes += size;
  }
  if (cur.length) jobs.push(cur);
  return jobs;
}

async function finishImport(ctx: DeliveryContext, rows: Row[], processId: number, proc: BrevoProcess | undefined, cfg: ContactDeliveryConfig): Promise<void> {
  const items = rows.map((r) => r.item);
  if (!proc) return ctx.release(items, `import ${processId} still running after ${cfg.importWaitMs} ms`);
  if (proc.status !== 'completed') {
    for (const item of items) await ctx.retry(item, `import ${processId} ${proc.status}${proc.error ? `: ${proc.error}` : ''}`);
    return;
  }
  const { problems, unknown } = await readImportProblems(ctx, proc, rows);
  for (const [row, reason] of problems) await ctx.dead(row.item, reason, `rejected by import ${processId}`);
  const rest = rows.filter((r) => !problems.has(r));
  if (unknown) {
    // A report says some rows failed but we cannot tell which (unreadable, or naming none of them): the rows no
    // readable report named are sent again one by one (exact errors; those the import did write are updated in place).
    ctx.logger.warn({ processId, rows: rest.length }, 'import report unreadable; delivering its other contacts one by one');
    return deliverSingles(ctx, rest.map((r) => ({ ...r, known: true })), 4);
  }
  await ctx.complete(rest.map((r) => r.item));
}

const finished = (p: BrevoProcess) => p.status === 'completed' || p.status === 'failed' || p.status === 'cancelled';

/**
 * Wait for imports to finish. With `notifyUrl` Brevo calls back. Otherwise poll sparingly — each poll costs the hourly
 * bucket that events batches also draw from: first at the expected finish (3 s + 2 ms per contact, emulated: one poll
 * is usually enough), then doubling; several imports share one `GET /processes` (newest first, the same process
 * objects), one import uses `GET /processes/{id}`. Imports still running at the deadline are left out of the map.
 */
async function awaitProcesses(ctx: DeliveryContext, ids: number[], n: number, cfg: ContactDeliveryConfig, o: { priority: 0 | 1; signal?: AbortSignal }): Promise<Map<number, BrevoProcess>> {
  const out = new Map<number, BrevoProcess>();
  const deadline = Date.now() + cfg.importWaitMs;
  if (cfg.waitForProcess) {
    const wait = cfg.waitForProcess;
    await Promise.all(
      ids.map(async (id) => {
        const timeout = sleep(cfg.importWaitMs, ctx.signal).then(() => 'timeout' as const);
        const r = await Promise.race([wait(id, ctx.signal).then(() => 'done' as const), timeout]);
        if (r === 'done') out.set(id, await ctx.brevo.getProcess(id, o));
      }),
    );
    return out;
  }
  let delay = (3_000 + 2 * n) / ctx.opts.timeScale;
  for (;;) {
    const pending = ids.filter((id) => !out.has(id));
    if (!pending.length || Date.now() + delay > deadline) return out;
    await sleep(delay, ctx.signal);
    const seen = new Set<number>();
    if (pending.length > 1) {
      for (const p of await ctx.brevo.getProcesses(PROCESS_LIST_LIMIT, o)) {
        seen.add(p.id);
        if (pending.includes(p.id) && finished(p)) out.set(p.id, p);
      }
    }
    // One import, or imports older than the newest page of processes: by id.
    for (const id of pending.filter((x) => !seen.has(x))) {
      const p = await ctx.brevo.getProcess(id, o);
      if (finished(p)) out.set(id, p);
    }
    delay *= 2;
  }
}

const PROCESS_LIST_LIMIT = 50;

/** Which identifier of a row each report field names (the field's own first; any identifier as a fallback). */
const REPORT_IDENTIFIER: Partial<Record<ImportReportField, 'ext_id' | 'email' | 'SMS' | 'WHATSAPP' | 'LANDLINE_NUMBER'>> = {
  invalid_emails: 'email',
  duplicate_ext_id: 'ext_id',
  duplicate_email_id: 'email',
  duplicate_phone_id: 'SMS',
  duplicate_whatsapp_id: 'WHATSAPP',
  duplicate_landline_number_id: 'LANDLINE_NUMBER',
};

/**
 * Rows named by the completed import's `info.import` reports, with their dead-letter reason. A value is matched
 * against the identifier its field names (a duplicate phone against the rows' SMS, not their ext_id). Brevo keeps the
 * first row holding an identifier and reports each later one, so a value naming several rows of this import marks the
 * last ones, as many as the report lists it. `unknown`: a report could not be read, or named none of the rows.
 */
async function readImportProblems(ctx: DeliveryContext, proc: BrevoProcess, rows: readonly Row[]): Promise<{ problems: Map<Row, DeadLetterReason>; unknown: boolean }> {
  const out = new Map<Row, DeadLetterReason>();
  const info = proc.info?.import;
  if (!info) return { problems: out, unknown: false };
  const digits = (s: string) => s.replace(/\D/g, '');
  const norm = (kind: string, v: string): string | undefined =>
    kind === 'email' ? v.trim().toLowerCase() : kind === 'ext_id' ? v.trim() : digits(v).length >= 6 ? `#${digits(v)}` : undefined;
  const indexes = new Map<string, Map<string, Row[]>>();
  const add = (kind: string, v: string | undefined, r: Row) => {
    const k = v === undefined ? undefined : norm(kind, v);
    if (k === undefined) return;
    const idx = indexes.get(kind) ?? new Map<string, Row[]>();
    indexes.set(kind, idx);
    const at = idx.get(k);
    if (at) at.push(r);
    else idx.set(k, [r]);
  };
  for (const r of rows) {
    add('ext_id', r.c.ext_id, r);
    add('email', r.c.email, r);
    for (const a of ['SMS', 'WHATSAPP', 'LANDLINE_NUMBER'] as const) {
      const v = r.c.attributes[a];
      if (typeof v === 'string') add(a, v, r);
    }
  }
  const lookup = (field: ImportReportField, val: string): Row[] | undefined => {
    const own = REPORT_IDENTIFIER[field];
    const kinds = own ? [own] : ['ext_id', 'email', 'SMS', 'WHATSAPP', 'LANDLINE_NUMBER'];
    for (const kind of [...kinds, ...['ext_id', 'email', 'SMS', 'WHATSAPP', 'LANDLINE_NUMBER'].filter((k) => !kinds.includes(k))]) {
      const k = norm(kind, val);
      const found = k === undefined ? undefined : indexes.get(kind)?.get(k);
      if (found) return found;
    }
    return undefined;
  };
  let unknown = false;
  for (const field of IMPORT_REPORT_FIELDS) {
    const v = info[field];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0) || v === '') continue;
    let values: string[];
    try {
      values = Array.isArray(v) ? v.map(String) : /^(https?:\/\/|\/)/.test(v) ? parseImportReport(await ctx.brevo.fetchReport(v)) : parseImportReport(v);
    } catch {
      unknown = true;
      continue;
    }
    const named = new Map<Row[], number>();
    for (const val of values) {
      const found = lookup(field, val);
      if (found) named.set(found, (named.get(found) ?? 0) + 1);
    }
    for (const [candidates, times] of named) {
      for (const row of candidates.slice(Math.max(0, candidates.length - times))) if (!out.has(row)) out.set(row, reasonForReportField(field));
    }
    if (named.size === 0 && values.length > 0 && !values.every((x) => /^[A-Za-z_ ]+$/.test(x))) unknown = true;
  }
  return { problems: out, unknown };
}

/** `list_add` / `list_remove` rows: payload `{ listId, extIds }`, ≤ 150 ids per call. */
export async function deliverListChanges(ctx: DeliveryContext, items: readonly OutboxItem[]): Promise<void> {
  for (const item of items) {
    if (ctx.stopped) return;
    const p = item.payload as Partial<ListChangePayload> | undefined;
    if (!p || typeof p.listId !== 'number' || !Array.isArray(p.extIds)) {
      await ctx.dead(item, 'brevo_rejected', 'list change payload must be { listId, extIds }');
      continue;
    }
    try {
      const o = { priority: item.priority, ...(ctx.signal ? { signal: ctx.signal } : {}) };
      if (item.kind === 'list_add') await ctx.brevo.addContactsToList(p.listId, p.extIds, o);
      else await ctx.brevo.removeContactsFromList(p.listId, p.extIds, o);
      await ctx.complete([item]);
    } catch (err) {
      await ctx.fail([item], err);
    }
  }
}
