/**
 * Typed Brevo API v3 client on the shared HTTP layer (`engine/http.ts`).
 *
 * Why not `@getbrevo/brevo` on the hot path (it is used by the Brevo emulator's own tests): its built-in retries
 * (2 by default, POSTs included) read `Retry-After`/epoch `X-RateLimit-Reset` but not Brevo's `x-sib-ratelimit-reset`,
 * so they fall back to ~1–2 s waits that are useless against the 100-per-hour bucket and blindly repeat
 * non-idempotent POSTs (brevo.md §0.3, §8.2); and it hides the response headers (no rate-limit adaptation) and
 * types every 2xx of `/events/batch` as 202 (no 207 partial results, §5.2). Here every call goes through our
 * budgets and the pure retry decision, and we see the status and headers.
 */
import { TajoError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { brevoBudgetFor, type BrevoBudgets, type RateBudget } from '../../engine/budget.js';
import { VendorHttpError, httpRequest, type HttpResponse, type RequestStats } from '../../engine/http.js';
import { stringifyToBuffer } from '../../engine/jsonEncode.js';
import { EventsBatchLimit, type BatchLimitObservation } from './batchLimit.js';
import { chunk, duplicateIdentifiers, importEntry, isNothingChanged } from './classify.js';
import {
  LIST_CHANGE_MAX_IDS,
  type BatchResult,
  type BrevoAccount,
  type BrevoAttribute,
  type BrevoFolder,
  type BrevoList,
  type BrevoProcess,
  type ContactPayload,
  type EventItem,
} from './types.js';

export interface BrevoClientOptions {
  /** e.g. `https://api.brevo.com/v3` (config `brevo.base_url`). */
  baseUrl: string;
  apiKey: string;
  budgets: BrevoBudgets;
  logger?: Logger;
  logApiCalls?: boolean;
  /** `--time-scale` against the emulator (vendor reset seconds are emulated seconds). */
  timeScale?: number;
  stats?: RequestStats;
  timeoutMs?: number;
  /** Attempts per call inside the HTTP layer; the outbox retries again later. Default 3. */
  maxAttempts?: number;
}

export interface CallOptions {
  priority?: 0 | 1;
  signal?: AbortSignal;
}

export class BrevoClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly batch: EventsBatchLimit;

  constructor(private readonly opts: BrevoClientOptions) {
    // fetch refuses such a URL and quotes it whole in its error: a key written there would reach messages and logs
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(opts.baseUrl)) {
      throw new TajoError('TAJO_CONFIG_INVALID', 'The Brevo base URL carries credentials (user:password@)', {
        details: [{ path: 'brevo.base_url', message: 'must not carry credentials' }],
        hint: 'give the API key as brevo.api_key / brevoApiKey, never in the URL',
      });
    }
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.batch = new EventsBatchLimit(opts.budgets.other, opts.timeScale ?? 1, opts.logger);
  }

  get budgets(): BrevoBudgets {
    return this.opts.budgets;
  }

  /** The budget `POST /events/batch` currently draws from (the catch-all until headers prove otherwise). */
  get eventsBatchBudget(): RateBudget {
    return this.batch.budget;
  }

  get batchLimit(): BatchLimitObservation {
    return this.batch.observation;
  }

  /** One API call; `path` is relative to the base URL (`/contacts`, `/events/batch`). */
  async call(method: string, path: string, body?: unknown, o: CallOptions & { budget?: RateBudget; observe?: boolean; maxAttempts?: number } = {}): Promise<HttpResponse> {
    const budget = o.budget ?? brevoBudgetFor(this.opts.budgets, method, path);
    return httpRequest({
      vendor: 'brevo',
      method,
      url: `${this.baseUrl}${path}`,
      headers: { 'api-key': this.opts.apiKey, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: stringifyToBuffer(body) } : {}),
      budgets: [budget],
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      ...(this.opts.logApiCalls !== undefined ? { logApiCalls: this.opts.logApiCalls } : {}),
      ...(this.opts.timeScale !== undefined ? { timeScale: this.opts.timeScale } : {}),
      ...(this.opts.stats ? { stats: this.opts.stats } : {}),
      ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
      maxAttempts: o.maxAttempts ?? this.opts.maxAttempts ?? 3,
      ...(o.observe === false ? { observeRateHeaders: false } : {}),
    });
  }

  // --- account, attributes, lists -------------------------------------------------------------------------

  async getAccount(o: CallOptions = {}): Promise<BrevoAccount> {
    return (await this.call('GET', '/account', undefined, o)).json as BrevoAccount;
  }

  /** `maxAttempts`: fewer attempts than the client's (an optional read, e.g. the delivery's attribute check). */
  async getAttributes(o: CallOptions & { maxAttempts?: number } = {}): Promise<BrevoAttribute[]> {
    const j = (await this.call('GET', '/contacts/attributes', undefined, o)).json as { attributes?: BrevoAttribute[] } | undefined;
    return j?.attributes ?? [];
  }

  async createAttribute(name: string, type: string, category = 'normal', o: CallOptions = {}): Promise<void> {
    await this.call('POST', `/contacts/attributes/${encodeURIComponent(category)}/${encodeURIComponent(name)}`, { type }, o);
  }

  /** `undefined` when the list does not exist. */
  async getList(id: number, o: CallOptions = {}): Promise<BrevoList | undefined> {
    try {
      return (await this.call('GET', `/contacts/lists/${id}`, undefined, o)).json as BrevoList;
    } catch (e) {
      if (e instanceof VendorHttpError && e.httpStatus === 404) return undefined;
      throw e;
    }
  }

  async getLists(o: CallOptions = {}): Promise<BrevoList[]> {
    const out: BrevoList[] = [];
    for (let offset = 0; ; offset += 50) {
      const j = (await this.call('GET', `/contacts/lists?limit=50&offset=${offset}`, undefined, o)).json as { lists?: BrevoList[] } | undefined;
      const page = j?.lists ?? [];
      out.push(...page);
      if (page.length < 50) return out;
    }
  }

  async createList(name: string, folderId: number, o: CallOptions = {}): Promise<number> {
    return ((await this.call('POST', '/contacts/lists', { name, folderId }, o)).json as { id: number }).id;
  }

  async getFolders(o: CallOptions = {}): Promise<BrevoFolder[]> {
    const out: BrevoFolder[] = [];
    for (let offset = 0; ; offset += 50) {
      const j = (await this.call('GET', `/contacts/folders?limit=50&offset=${offset}`, undefined, o)).json as { folders?: BrevoFolder[] } | undefined;
      const page = j?.folders ?? [];
      out.push(...page);
      if (page.length < 50) return out;
    }
  }

  async createFolder(name: string, o: CallOptions = {}): Promise<number> {
    return ((await this.call('POST', '/contacts/folders', { name }, o)).json as { id: number }).id;
  }

  // --- contacts -------------------------------------------------------------------------------------------

  /** `POST /contacts` (never `forceMerge`: merging deletes the older contact). 201 → id; 204 → updated. */
  async createContact(c: ContactPayload, opts: CallOptions & { updateEnabled?: boolean } = {}): Promise<{ id?: number; updated: boolean }> {
    const body = {
      ...(c.email ? { email: c.email } : {}),
      ext_id: c.ext_id,
      attributes: c.attributes,
      listIds: c.listIds,
      ...(c.smsBlacklisted ? { smsBlacklisted: true } : {}),
      ...(c.whatsappBlacklisted ? { whatsappBlacklisted: true } : {}),
      updateEnabled: opts.updateEnabled ?? true,
    };
    const r = await this.call('POST', '/contacts', body, opts);
    const id = (r.json as { id?: number } | undefined)?.id;
    return { ...(typeof id === 'number' ? { id } : {}), updated: r.status === 204 };
  }

  /** `PUT /contacts/{ext_id}?identifierType=ext_id` (204). The email moves through `attributes.EMAIL`. */
  async updateContactByExtId(c: ContactPayload, o: CallOptions = {}): Promise<void> {
    const body = {
      attributes: { ...c.attributes, ...(c.email ? { EMAIL: c.email } : {}) },
      listIds: c.listIds,
      ...(c.smsBlacklisted ? { smsBlacklisted: true } : {}),
      ...(c.whatsappBlacklisted ? { whatsappBlacklisted: true } : {}),
    };
    await this.call('PUT', `/contacts/${encodeURIComponent(c.ext_id)}?identifierType=ext_id`, body, o);
  }

  /** `PUT /contacts/{email}?identifierType=email_id`, attaching our ext_id to a contact Brevo knows by email. */
  async updateContactByEmail(c: ContactPayload & { email: string }, o: CallOptions = {}): Promise<void> {
    const body = {
      ext_id: c.ext_id,
      attributes: c.attributes,
      listIds: c.listIds,
      ...(c.smsBlacklisted ? { smsBlacklisted: true } : {}),
      ...(c.whatsappBlacklisted ? { whatsappBlacklisted: true } : {}),
    };
    await this.call('PUT', `/contacts/${encodeURIComponent(c.email)}?identifierType=email_id`, body, o);
  }

  /**
   * Create-or-update keyed by ext_id, one call in the common case:
   * - a contact the ledger knows → `PUT` by ext_id (404 → create);
   * - otherwise `POST /contacts` as a pure create (no `updateEnabled`: with it Brevo updates whichever contact
   *   owns *any* identifier sent, e.g. another customer's phone, and would re-key that contact; never `forceMerge`).
   *   A duplicate answer naming `ext_id` → it is ours: update by ext_id. Naming only `email` → a contact Brevo
   *   already had (marketing) → attach our ext_id to it by email, unless it carries another ext_id (another customer's
   *   contact: a conflict, thrown, never re-keyed). A phone clash is thrown: the caller dead-letters
   *   it (`brevo_duplicate_sms`).
   */
  async upsertContact(c: ContactPayload, o: CallOptions & { known: boolean }): Promise<'created' | 'updated'> {
    const co: CallOptions = { ...(o.priority !== undefined ? { priority: o.priority } : {}), ...(o.signal ? { signal: o.signal } : {}) };
    if (o.known) {
      try {
        await this.updateContactByExtId(c, co);
        return 'updated';
      } catch (e) {
        if (!(e instanceof VendorHttpError && e.httpStatus === 404)) throw e;
      }
    }
    try {
      await this.createContact(c, { ...co, updateEnabled: false });
      return 'created';
    } catch (e) {
      if (!(e instanceof VendorHttpError && e.httpStatus === 400)) throw e;
      const ids = duplicateIdentifiers(e.responseBody);
      if (ids.includes('ext_id')) {
        await this.updateContactByExtId(c, co);
        return 'updated';
      }
      if (c.email && ids.length === 1 && ids[0] === 'email') {
        // Adopt only a contact without an ext_id (or with ours): setting our ext_id on another customer's contact would
        // re-key it, and that customer's events and next update would then miss it.
        const owner = await this.extIdOfEmail(c.email, co);
        if (owner !== undefined && owner !== c.ext_id) {
          throw new VendorHttpError('TAJO_BREVO_REJECTED', 'brevo POST /contacts failed: the email belongs to another contact (a different ext_id); it is not re-keyed', {
            httpStatus: e.httpStatus ?? 400,
            responseBody: e.responseBody,
            attempts: e.attempts,
          });
        }
        await this.updateContactByEmail({ ...c, email: c.email }, co);
        return 'updated';
      }
      throw e;
    }
  }

  /** The ext_id (`EXT_ID` attribute) of the contact owning this email; undefined when it has none (or is gone). */
  private async extIdOfEmail(email: string, o: CallOptions): Promise<string | undefined> {
    let j: { ext_id?: unknown; attributes?: Record<string, unknown> } | undefined;
    try {
      j = (await this.call('GET', `/contacts/${encodeURIComponent(email)}?identifierType=email_id`, undefined, o)).json as typeof j;
    } catch (e) {
      if (e instanceof VendorHttpError && e.httpStatus === 404) return undefined;
      throw e;
    }
    const v = j?.attributes?.EXT_ID ?? j?.ext_id;
    return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  }

  /**
   * `POST /contacts/import` with a `jsonBody` (async: 202 + processId). Items carry `ext_id` (also as the `EXT_ID`
   * attribute, the import column name), the email and attributes; `listIds` applies to every item.
   */
  async importContacts(contacts: readonly ContactPayload[], opts: CallOptions & { listIds: number[]; notifyUrl?: string }): Promise<number> {
    const jsonBody = contacts.map(importEntry);
    const body = {
      jsonBody,
      listIds: opts.listIds,
      updateExistingContacts: true,
      emptyContactsAttributes: false,
      disableNotification: true,
      ...(opts.notifyUrl ? { notifyUrl: opts.notifyUrl } : {}),
    };
    const r = await this.call('POST', '/contacts/import', body, opts);
    const id = (r.json as { processId?: number } | undefined)?.processId;
    if (typeof id !== 'number') throw new VendorHttpError('TAJO_BREVO_REJECTED', 'brevo POST /contacts/import answered without a processId', { httpStatus: r.status, attempts: r.attempts });
    return id;
  }

  /** `GET /processes/{id}`: costs the 100-per-hour bucket, poll sparingly. */
  async getProcess(id: number, o: CallOptions = {}): Promise<BrevoProcess> {
    return (await this.call('GET', `/processes/${id}`, undefined, o)).json as BrevoProcess;
  }

  /** `GET /processes?limit=…&sort=desc` (≤ 50, newest first): the same process objects; one call watches several imports. */
  async getProcesses(limit = 50, o: CallOptions = {}): Promise<BrevoProcess[]> {
    const j = (await this.call('GET', `/processes?limit=${Math.min(50, Math.max(1, limit))}&sort=desc`, undefined, o)).json as { processes?: BrevoProcess[] } | undefined;
    return j?.processes ?? [];
  }

  /** Download an import report. The api-key is only sent to the API's own origin (reports may live elsewhere). */
  async fetchReport(url: string, o: CallOptions = {}): Promise<string> {
    const abs = new URL(url, `${this.baseUrl}/`);
    const sameOrigin = abs.origin === this.origin;
    const r = await httpRequest({
      vendor: 'brevo',
      method: 'GET',
      url: abs.toString(),
      headers: sameOrigin ? { 'api-key': this.opts.apiKey } : {},
      budgets: [],
      maxAttempts: this.opts.maxAttempts ?? 3,
      observeRateHeaders: false,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(this.opts.stats ? { stats: this.opts.stats } : {}),
    });
    return r.text;
  }

  /** Add contacts (by ext_id) to a list, ≤ 150 per call. Returns the ids Brevo reported as failed. */
  async addContactsToList(listId: number, extIds: readonly string[], o: CallOptions = {}): Promise<string[]> {
    return this.changeList('add', listId, extIds, o);
  }

  async removeContactsFromList(listId: number, extIds: readonly string[], o: CallOptions = {}): Promise<string[]> {
    return this.changeList('remove', listId, extIds, o);
  }

  private async changeList(op: 'add' | 'remove', listId: number, extIds: readonly string[], o: CallOptions): Promise<string[]> {
    const failed: string[] = [];
    for (const part of chunk(extIds, LIST_CHANGE_MAX_IDS)) {
      let r: HttpResponse;
      try {
        r = await this.call('POST', `/contacts/lists/${listId}/contacts/${op}`, { extIds: part }, o);
      } catch (e) {
        // None of the ids changed (already in/out of the list, or unknown): Brevo answers 400 instead of a 201 whose
        // `success` is empty. Same outcome as a 201 listing them all under `failure`.
        if (e instanceof VendorHttpError && e.httpStatus === 400 && isNothingChanged(e.responseBody)) {
          failed.push(...part);
          continue;
        }
        throw e;
      }
      const f = (r.json as { contacts?: { failure?: unknown[] } } | undefined)?.contacts?.failure;
      if (Array.isArray(f)) failed.push(...f.map(String));
    }
    return failed;
  }

  // --- events ---------------------------------------------------------------------------------------------

  /** `POST /events` → 204. */
  async createEvent(item: EventItem, o: CallOptions = {}): Promise<void> {
    await this.call('POST', '/events', item, o);
  }

  /**
   * `POST /events/batch` with `{ events }` (≤ 200 items, ≤ 512 KB: the caller splits). 202 → all accepted;
   * 207 → `errors[].eventIndex` lists the rejected positions.
   */
  async createBatchEvents(items: readonly EventItem[], o: CallOptions = {}): Promise<BatchResult> {
    let r: HttpResponse;
    try {
      r = await this.call('POST', '/events/batch', { events: items }, { ...o, budget: this.batch.budget, observe: false });
    } catch (e) {
      if (e instanceof VendorHttpError) this.batch.observe(e.headersSeen);
      throw e;
    }
    this.batch.observe(r.headers);
    if (r.status !== 207) return { status: r.status, accepted: items.length, failures: [] };
    const j = (r.json ?? {}) as { errors?: { eventIndex?: number[] | number; message?: string }[]; successful_events?: number };
    const failures: { index: number; message: string }[] = [];
    for (const e of j.errors ?? []) {
      const idx = Array.isArray(e.eventIndex) ? e.eventIndex : typeof e.eventIndex === 'number' ? [e.eventIndex] : [];
      for (const i of idx) if (i >= 0 && i < items.length) failures.push({ index: i, message: e.message ?? 'rejected' });
    }
    return { status: 207, accepted: items.length - new Set(failures.map((f) => f.index)).size, failures };
  }
}
