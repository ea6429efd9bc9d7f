import type { BrevoContext } from './context.js';
import { csvToItems } from './csv.js';
import type { IdentifierName, Prepared } from './contactWrite.js';
import { badRequest, BrevoHttpError } from './errors.js';
import { PHONE_ATTRIBUTES } from './phone.js';
import type { ImportInfo, ProcessRecord } from './types.js';

export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

interface ImportBody {
  fileUrl?: string;
  fileBody?: string;
  jsonBody?: ImportItem[];
  listIds?: number[];
  newList?: { listName?: string; folderId?: number };
  notifyUrl?: string;
  emailBlacklist?: boolean;
  smsBlacklist?: boolean;
  updateExistingContacts?: boolean;
  emptyContactsAttributes?: boolean;
}

interface ImportItem {
  email?: string;
  ext_id?: string;
  attributes?: Record<string, unknown>;
}

interface PendingImport {
  body: ImportBody;
  listIds: number[];
  items?: ImportItem[];
  csv: boolean;
}

const NO_IDENTIFIER =
  'We could not find any valid email or SMS or Contact ID in the file you uploaded. Please check the file format and try again.';
const INFO_KEY: Record<IdentifierName, keyof ImportInfo> = {
  email: 'duplicate_email_id',
  ext_id: 'duplicate_ext_id',
  SMS: 'duplicate_phone_id',
  WHATSAPP: 'duplicate_whatsapp_id',
  LANDLINE_NUMBER: 'duplicate_landline_number_id',
};
const BOOL_WORDS: Record<string, boolean> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

const hasIdentifier = (it: ImportItem) =>
  !!(it.email || it.ext_id || ['SMS', 'WHATSAPP', 'LANDLINE_NUMBER', 'EXT_ID', 'EMAIL'].some((k) => it.attributes?.[k] !== undefined && it.attributes[k] !== ''));

/**
 * Asynchronous contact import (brevo.md §2.5): `POST /contacts/import` answers 202 {processId}; the process runs
 * `importDelayMs` (emulated) later, or earlier if the emulated clock has passed its due time when anyone looks.
 */
export class ImportRunner {
  private readonly pending = new Map<number, PendingImport>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** fileUrl downloads and notifyUrl calls under way, whoever started them (timer or reader). */
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly ctx: BrevoContext) {}

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }

  start(body: ImportBody): ProcessRecord {
    const { store, clock } = this.ctx;
    const sources = (['fileUrl', 'fileBody', 'jsonBody'] as const).filter((k) => body[k] !== undefined);
    if (sources.length === 0) throw badRequest('fileUrl, fileBody or jsonBody is missing', 'missing_parameter');
    if (sources.length > 1) throw badRequest('Pass only one of fileUrl, fileBody or jsonBody');
    const size = body.fileBody !== undefined ? Buffer.byteLength(body.fileBody) : body.jsonBody ? Buffer.byteLength(JSON.stringify(body.jsonBody)) : 0;
    if (size > MAX_IMPORT_BYTES) throw badRequest('Maximum allowed file size is 10MB; use fileUrl', 'out_of_range');
    let items: ImportItem[] | undefined;
    if (body.fileBody !== undefined) {
      const csv = csvToItems(body.fileBody);
      if (!csv.columns.some((c) => ['EMAIL', 'SMS', 'EXT_ID', 'WHATSAPP', 'LANDLINE_NUMBER'].includes(c))) throw badRequest(NO_IDENTIFIER);
      items = csv.items;
    } else if (body.jsonBody) {
      if (!body.jsonBody.some(hasIdentifier)) throw badRequest(NO_IDENTIFIER);
      items = body.jsonBody;
    }
    const listIds = [...(body.listIds ?? [])];
    const missing = listIds.filter((id) => !store.lists.has(id));
    if (missing.length) throw badRequest(`List ID(s) ${missing.join(',')} do not exist`);
    if (body.newList?.listName) {
      if (body.newList.folderId === undefined) throw badRequest('newList.folderId is missing', 'missing_parameter');
      if (!store.folders.has(body.newList.folderId)) throw badRequest('Folder ID does not exist');
    }
    if (listIds.length === 0 && !body.newList?.listName) throw badRequest('listIds or newList is missing', 'missing_parameter');
    if (body.newList?.listName && body.newList.folderId !== undefined) listIds.push(store.createList(body.newList.listName, body.newList.folderId).id);
    const now = clock.nowMs();
    const p: ProcessRecord = {
      id: store.newProcessId(),
      name: 'IMPORTUSER',
      status: 'queued',
      createdAt: now,
      dueAt: now + this.ctx.importDelayMs,
      ...(body.notifyUrl ? { notifyUrl: body.notifyUrl } : {}),
    };
    store.processes.set(p.id, p);
    this.pending.set(p.id, { body, listIds, csv: body.fileBody !== undefined, ...(items ? { items } : {}) });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.settle();
    }, clock.toRealMs(this.ctx.importDelayMs));
    timer.unref();
    this.timers.add(timer);
    return p;
  }

  /**
   * Advance every process whose time has come (called by the timer and before any process is read). Imports with
   * an inline body complete synchronously within this call; the returned promise also waits for every `fileUrl`
   * download and `notifyUrl` call under way, including those a timer started.
   */
  settle(): Promise<void> {
    const now = this.ctx.clock.nowMs();
    const work: Promise<void>[] = [];
    for (const [id, job] of [...this.pending]) {
      const p = this.ctx.store.processes.get(id);
      if (!p) {
        this.pending.delete(id);
        continue;
      }
      if (now < p.dueAt) {
        if (now >= p.createdAt + (p.dueAt - p.createdAt) / 4) p.status = 'in_process';
        continue;
      }
      this.pending.delete(id);
      p.status = 'in_process';
      if (job.items) {
        this.finish(p, job, job.items);
        if (p.notifyUrl) work.push(this.notify(p));
      } else {
        work.push(
          this.fetchFile(job.body.fileUrl as string)
            .then((items) => this.finish(p, job, items))
            .catch((e: unknown) => this.fail(p, e))
            .then(() => (p.notifyUrl ? this.notify(p) : undefined)),
        );
      }
    }
    for (const w of work) {
      const tracked: Promise<void> = w.finally(() => this.inflight.delete(tracked));
      this.inflight.add(tracked);
    }
    return Promise.all([...this.inflight]).then(() => undefined);
  }

  private finish(p: ProcessRecord, job: PendingImport, items: ImportItem[]): void {
    try {
      this.run(p, job, items);
      p.status = 'completed';
    } catch (e) {
      this.fail(p, e);
    }
    p.completedAt = this.ctx.clock.nowMs();
  }

  private fail(p: ProcessRecord, e: unknown): void {
    p.status = 'failed';
    p.error = e instanceof BrevoHttpError ? e.body.message : e instanceof Error ? e.message : String(e);
    p.completedAt = this.ctx.clock.nowMs();
  }

  private async fetchFile(url: string): Promise<ImportItem[]> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`fileUrl answered ${res.status}`);
    const text = await res.text();
    if (/\.json(\?|$)/.test(url) || text.trimStart().startsWith('[')) return JSON.parse(text) as ImportItem[];
    return csvToItems(text).items;
  }

  private run(p: ProcessRecord, job: PendingImport, items: ImportItem[]): void {
    const { writer, store } = this.ctx;
    const endpoint = 'POST /contacts/import';
    const b = job.body;
    const dup: Partial<Record<keyof ImportInfo, string[]>> = {};
    const invalidEmails: string[] = [];
    const seen = new Map<string, number>();
    const stats = { rows: items.length, created: 0, updated: 0, skipped: 0 };
    const note = (k: keyof ImportInfo, v: string) => (dup[k] ??= []).push(v);
    items.forEach((raw, row) => {
      const it: ImportItem = { ...raw, attributes: { ...(raw.attributes ?? {}) } };
      if (job.csv) this.csvBooleans(it.attributes as Record<string, unknown>);
      let prep: Prepared;
      try {
        prep = writer.prepare(
          { email: it.email, ext_id: it.ext_id, attributes: it.attributes as Record<string, unknown>, listIds: job.listIds },
          { phoneErrors: 'ignore', checkLists: false },
        );
      } catch {
        invalidEmails.push(String(it.email ?? it.attributes?.EMAIL ?? ''));
        stats.skipped += 1;
        return;
      }
      if (!b.emptyContactsAttributes) {
        for (const [k, v] of [...prep.attrs]) if (v === null) prep.attrs.delete(k);
        for (const a of PHONE_ATTRIBUTES) if (prep.phones[a] === null) delete prep.phones[a];
        if (prep.ext_id === null) delete prep.ext_id;
      }
      if (b.emailBlacklist) prep.emailBlacklisted = true;
      if (b.smsBlacklist) prep.smsBlacklisted = true;
      const ids = writer.identifiers(prep);
      if (ids.length === 0) {
        stats.skipped += 1;
        return;
      }
      // the same identifier twice in one file: the first row wins, later ones are reported as duplicates
      const repeated = ids.filter(([n, v]) => seen.has(`${n}\u0000${v}`));
      if (repeated.length) {
        for (const [n, v] of repeated) note(INFO_KEY[n], v);
        stats.skipped += 1;
        return;
      }
      for (const [n, v] of ids) seen.set(`${n}\u0000${v}`, row);
      const owners = writer.owners(prep);
      const distinct = [...new Set(owners.map((o) => o.contact))];
      if (distinct.length > 1) {
        const first = distinct[0];
        for (const o of owners) if (o.contact !== first) note(INFO_KEY[o.name], ids.find(([n]) => n === o.name)?.[1] ?? '');
        stats.skipped += 1;
        return;
      }
      const existing = distinct[0];
      if (!existing) {
        writer.create(prep, endpoint);
        stats.created += 1;
      } else if (b.updateExistingContacts === false) {
        for (const l of job.listIds) store.addToList(existing, l);
        stats.skipped += 1;
      } else {
        writer.apply(existing, prep, endpoint);
        stats.updated += 1;
      }
    });
    const info: ImportInfo = { invalid_emails: invalidEmails.length ? invalidEmails.join(',') : null };
    for (const k of Object.values(INFO_KEY)) info[k] = dup[k]?.join(',') ?? null;
    info.duplicate_contact_id = null;
    p.info = { import: info };
    p.stats = stats;
  }

  /** CSV cells are text; boolean attributes accept true/false/yes/no/1/0 there. */
  private csvBooleans(attrs: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(attrs)) {
      const a = this.ctx.store.attributes.get(k.toUpperCase());
      const word = typeof v === 'string' ? BOOL_WORDS[v.toLowerCase()] : undefined;
      if (a?.type === 'boolean' && word !== undefined) attrs[k] = word;
    }
  }

  /** POST the finished process (same body as GET /processes/{id}) to `notifyUrl`. */
  private async notify(p: ProcessRecord): Promise<void> {
    const url = p.notifyUrl as string;
    const at = new Date(this.ctx.clock.nowMs()).toISOString();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(this.ctx.store.processView(p)),
        signal: AbortSignal.timeout(10_000),
      });
      p.notification = { status: res.status, at };
    } catch (e) {
      p.notification = { error: e instanceof Error ? e.message : String(e), at };
    }
    this.ctx.log.notification({ processId: p.id, url, ...p.notification });
  }
}

/** `POST /contacts/import`, `GET /processes`, `GET /processes/{processId}`. */
export function registerImportRoutes(ctx: BrevoContext, runner: ImportRunner): void {
  const { store } = ctx;
  ctx.route('POST', '/contacts/import', ({ body }) => ({ status: 202, body: { processId: runner.start((body ?? {}) as ImportBody).id } }));
  // Reads settle due imports (inline bodies complete at once) but never wait for fileUrl downloads or notifyUrl calls:
  // a process whose file is still downloading is in_process, as Brevo reports it, however slow the other server is.
  ctx.route('GET', '/processes', ({ params }) => {
    void runner.settle();
    let all = [...store.processes.values()];
    if (params.sort !== 'asc') all = all.reverse();
    const offset = (params.offset as number | undefined) ?? 0;
    const limit = (params.limit as number | undefined) ?? 10;
    return { status: 200, body: { processes: all.slice(offset, offset + limit).map((p) => store.processView(p)), count: all.length } };
  });
  ctx.route('GET', '/processes/{processId}', ({ params }) => {
    void runner.settle();
    const p = store.processes.get(Number(params.processId));
    if (!p) throw new BrevoHttpError(404, { code: 'invalid_parameter', message: 'processId is invalid' });
    return { status: 200, body: store.processView(p) };
  });
}
