import { isoMillis } from '../common/clock.js';
import type { BrevoContext } from './context.js';
import { contactDetails, resolveContact } from './contactView.js';
import { badRequest, notFound } from './errors.js';
import type { BrevoStore } from './store.js';
import type { Contact, ContactList, Folder } from './types.js';

const MAX_MEMBERS_PER_CALL = 150;

function counters(store: BrevoStore, ids: Iterable<number>) {
  let total = 0;
  let blacklisted = 0;
  for (const id of ids) {
    total += 1;
    if (store.get(id)?.emailBlacklisted) blacklisted += 1;
  }
  return { totalBlacklisted: blacklisted, totalSubscribers: total - blacklisted, uniqueSubscribers: total };
}

function listView(store: BrevoStore, l: ContactList) {
  return { id: l.id, name: l.name, ...counters(store, l.contactIds), folderId: l.folderId };
}

function folderView(store: BrevoStore, f: Folder) {
  const members = new Set<number>();
  for (const l of store.lists.values()) if (l.folderId === f.id) for (const id of l.contactIds) members.add(id);
  return { id: f.id, name: f.name, ...counters(store, members) };
}

function page<T>(items: T[], params: Record<string, unknown>, dflt: number): T[] {
  const sorted = params.sort === 'asc' ? items : [...items].reverse();
  const offset = (params.offset as number | undefined) ?? 0;
  return sorted.slice(offset, offset + ((params.limit as number | undefined) ?? dflt));
}

type MemberBody = { emails?: string[]; ids?: number[]; extIds?: string[]; all?: boolean };

/** Contacts/lists/folders endpoints. */
export function registerListRoutes(ctx: BrevoContext): void {
  const { store } = ctx;
  const list = (id: unknown): ContactList => {
    const l = store.lists.get(Number(id));
    if (!l) throw notFound('List ID does not exist');
    return l;
  };
  const folder = (id: unknown): Folder => {
    const f = store.folders.get(Number(id));
    if (!f) throw notFound('Folder ID does not exist');
    return f;
  };

  ctx.route('GET', '/contacts/lists', ({ params }) => {
    const all = [...store.lists.values()];
    return { status: 200, body: { lists: page(all, params, 10).map((l) => listView(store, l)), count: all.length } };
  });
  ctx.route('POST', '/contacts/lists', ({ body }) => {
    const b = body as { name: string; folderId: number };
    if (!b.name) throw badRequest('name is missing', 'missing_parameter');
    if (!store.folders.has(b.folderId)) throw badRequest('Folder ID does not exist');
    return { status: 201, body: { id: store.createList(b.name, b.folderId).id } };
  });
  ctx.route('GET', '/contacts/lists/{listId}', ({ params }) => {
    const l = list(params.listId);
    return { status: 200, body: { ...listView(store, l), createdAt: isoMillis(l.createdAt), dynamicList: false } };
  });
  ctx.route('PUT', '/contacts/lists/{listId}', ({ params, body }) => {
    const l = list(params.listId);
    const b = (body ?? {}) as { name?: string; folderId?: number };
    if (b.name === undefined && b.folderId === undefined) throw badRequest('name or folderId is missing', 'missing_parameter');
    if (b.name === '') throw badRequest('name is missing', 'missing_parameter');
    if (b.folderId !== undefined) l.folderId = folder(b.folderId).id;
    if (b.name !== undefined) l.name = b.name;
    return { status: 204 };
  });
  ctx.route('DELETE', '/contacts/lists/{listId}', ({ params }) => {
    store.deleteList(list(params.listId).id);
    return { status: 204 };
  });
  ctx.route('GET', '/contacts/lists/{listId}/contacts', ({ params }) => {
    const l = list(params.listId);
    const since = params.modifiedSince === undefined ? undefined : Date.parse(String(params.modifiedSince));
    if (Number.isNaN(since)) throw badRequest('modifiedSince is not a valid date-time');
    const members = [...l.contactIds].map((id) => store.get(id) as Contact).filter((c) => since === undefined || c.modifiedAt >= since);
    return { status: 200, body: { contacts: page(members, params, 50).map(contactDetails), count: members.length } };
  });

  /** add/remove: exactly one of emails | ids | extIds, 1..150 items ([SPEC] maxItems 150). */
  const members = (body: unknown, op: 'add' | 'remove') => {
    const b = (body ?? {}) as MemberBody;
    const kinds = (['emails', 'ids', 'extIds'] as const).filter((k) => b[k] !== undefined);
    if (kinds.length !== 1) throw badRequest(`Pass exactly one of emails, ids or extIds${op === 'remove' ? ' or all' : ''}`, kinds.length ? 'invalid_parameter' : 'missing_parameter');
    const kind = kinds[0] as 'emails' | 'ids' | 'extIds';
    const values = b[kind];
    if (!Array.isArray(values) || values.length < 1 || values.length > MAX_MEMBERS_PER_CALL) {
      throw badRequest(`${kind} must contain between 1 and ${MAX_MEMBERS_PER_CALL} items; use /contacts/import in bulk`, 'out_of_range');
    }
    const type = kind === 'emails' ? 'email_id' : kind === 'ids' ? 'contact_id' : 'ext_id';
    return values.map((v) => ({ value: v, contact: resolveContactSafe(store, v, type) }));
  };
  /**
   * failure = "already in list and/or doesn't exist" ([SPEC] postContactInfo); 201 while at least one value succeeds.
   * When none does, Brevo answers 400 `invalid_parameter` "Contact already in list and/or does not exist"
   * (sendinblue/APIv3-php-library#47, #92, #134, confirmed by a maintainer); the remove wording is the emulator's.
   */
  const answer = (results: { value: string | number; ok: boolean }[], op: 'add' | 'remove') => {
    if (!results.some((r) => r.ok)) {
      throw badRequest(op === 'add' ? 'Contact already in list and/or does not exist' : 'Contact already removed from list and/or does not exist');
    }
    return {
      status: 201,
      body: { contacts: { success: results.filter((r) => r.ok).map((r) => r.value), failure: results.filter((r) => !r.ok).map((r) => r.value) } },
    };
  };

  ctx.route('POST', '/contacts/lists/{listId}/contacts/add', ({ params, body }) => {
    const l = list(params.listId);
    return answer(members(body, 'add').map((m) => ({ value: m.value, ok: m.contact ? store.addToList(m.contact, l.id) : false })), 'add');
  });
  ctx.route('POST', '/contacts/lists/{listId}/contacts/remove', ({ params, body }) => {
    const l = list(params.listId);
    if ((body as MemberBody | undefined)?.all === true) {
      const ids = [...l.contactIds];
      for (const id of ids) store.removeFromList(store.get(id) as Contact, l.id);
      const t = ctx.clock.nowMs();
      const pid = store.newProcessId();
      store.processes.set(pid, { id: pid, name: 'REMOVE_LIST_CONTACTS', status: 'completed', createdAt: t, dueAt: t, completedAt: t });
      return { status: 201, body: { contacts: { total: ids.length, processId: pid } } };
    }
    return answer(members(body, 'remove').map((m) => ({ value: m.value, ok: m.contact ? store.removeFromList(m.contact, l.id) : false })), 'remove');
  });

  // ---- folders ----
  ctx.route('GET', '/contacts/folders', ({ params }) => {
    const all = [...store.folders.values()];
    return { status: 200, body: { folders: page(all, params, 10).map((f) => folderView(store, f)), count: all.length } };
  });
  ctx.route('POST', '/contacts/folders', ({ body }) => {
    const name = (body as { name?: string } | undefined)?.name;
    if (!name) throw badRequest('name is missing', 'missing_parameter');
    return { status: 201, body: { id: store.createFolder(name).id } };
  });
  ctx.route('GET', '/contacts/folders/{folderId}', ({ params }) => ({ status: 200, body: folderView(store, folder(params.folderId)) }));
  ctx.route('PUT', '/contacts/folders/{folderId}', ({ params, body }) => {
    const f = folder(params.folderId);
    const name = (body as { name?: string } | undefined)?.name;
    if (!name) throw badRequest('name is missing', 'missing_parameter');
    f.name = name;
    return { status: 204 };
  });
  ctx.route('DELETE', '/contacts/folders/{folderId}', ({ params }) => {
    store.deleteFolder(folder(params.folderId).id);
    return { status: 204 };
  });
  ctx.route('GET', '/contacts/folders/{folderId}/lists', ({ params }) => {
    const f = folder(params.folderId);
    const all = [...store.lists.values()].filter((l) => l.folderId === f.id);
    return {
      status: 200,
      body: { lists: page(all, params, 10).map((l) => { const { folderId: _f, ...v } = listView(store, l); return v; }), count: all.length },
    };
  });
}

function resolveContactSafe(store: BrevoStore, v: unknown, type: string): Contact | undefined {
  if (type === 'contact_id' && !Number.isInteger(v)) return undefined;
  return resolveContact(store, v, type, false);
}
