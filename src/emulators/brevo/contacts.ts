import type { BrevoContext } from './context.js';
import { contactDetails, resolveContact } from './contactView.js';
import type { ContactInput } from './contactWrite.js';
import { badRequest, BrevoHttpError, notFound } from './errors.js';
import type { Contact } from './types.js';

interface CreateContactBody extends ContactInput {
  updateEnabled?: boolean;
  forceMerge?: boolean;
  getId?: boolean;
}

interface UpdateContactBody extends ContactInput {
  forceMerge?: boolean;
}

const contactNotFound = () => notFound('Contact does not exist');

function parseSince(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) throw badRequest(`${name} is not a valid date-time (YYYY-MM-DDTHH:mm:ss.SSSZ)`);
  return t;
}

/** `POST /contacts`, `GET /contacts`, `GET|PUT|DELETE /contacts/{identifier}`. */
export function registerContactRoutes(ctx: BrevoContext): void {
  const { store, writer } = ctx;

  ctx.route('POST', '/contacts', ({ body, endpoint }) => {
    const b = (body ?? {}) as CreateContactBody;
    const p = writer.prepare(b);
    if (writer.identifiers(p).length === 0) {
      throw badRequest('Please provide Email or SMS attribute value to create user', 'missing_parameter');
    }
    const owners = writer.owners(p);
    const distinct = [...new Set(owners.map((o) => o.contact))];
    const first = distinct[0];
    if (!first) return { status: 201, body: { id: writer.create(p, endpoint).id } };
    // Without updateEnabled an existing identifier is a duplicate (brevo.md §0.8: code has also been invalid_parameter).
    if (!b.updateEnabled && !b.forceMerge) throw writer.duplicateError('create', owners.map((o) => o.name));
    let target: Contact = first;
    if (distinct.length > 1) {
      if (!b.forceMerge) throw writer.duplicateError('update', owners.filter((o) => o.contact !== first).map((o) => o.name));
      target = writer.merge(distinct);
    }
    writer.apply(target, p, endpoint);
    // 204 without a body on update (brevo.md §0.7); getId (SDK v6) returns the surviving id: 200 (OVERRIDES.md).
    return b.getId ? { status: 200, body: { id: target.id } } : { status: 204 };
  });

  ctx.route('GET', '/contacts', ({ params }) => {
    const limit = (params.limit as number | undefined) ?? 50;
    const offset = (params.offset as number | undefined) ?? 0;
    const modifiedSince = parseSince(params.modifiedSince, 'modifiedSince');
    const createdSince = parseSince(params.createdSince, 'createdSince');
    const listIds = (params.listIds as number[] | undefined) ?? [];
    let all = [...store.contacts.values()].filter(
      (c) =>
        (modifiedSince === undefined || c.modifiedAt >= modifiedSince) &&
        (createdSince === undefined || c.createdAt >= createdSince) &&
        (listIds.length === 0 || listIds.some((l) => c.listIds.has(l))),
    );
    if (params.sort !== 'asc') all = all.reverse();
    return { status: 200, body: { contacts: all.slice(offset, offset + limit).map(contactDetails), count: all.length } };
  });

  ctx.route('GET', '/contacts/{identifier}', ({ params }) => {
    const c = resolveContact(store, params.identifier, params.identifierType, true);
    if (!c) throw contactNotFound();
    return { status: 200, body: { ...contactDetails(c), statistics: {} } };
  });

  ctx.route('PUT', '/contacts/{identifier}', ({ params, body, endpoint }) => {
    const c = resolveContact(store, params.identifier, params.identifierType, false);
    if (!c) throw contactNotFound();
    const b = (body ?? {}) as UpdateContactBody;
    const p = writer.prepare(b);
    const others = writer.owners(p).filter((o) => o.contact.id !== c.id);
    let target = c;
    if (others.length) {
      if (!b.forceMerge) throw writer.duplicateError('update', others.map((o) => o.name));
      target = writer.merge([c, ...others.map((o) => o.contact)]);
    }
    writer.apply(target, p, endpoint);
    return { status: 204 };
  });

  ctx.route('DELETE', '/contacts/{identifier}', ({ params }) => {
    const c = resolveContact(store, params.identifier, params.identifierType, false);
    if (!c) throw contactNotFound();
    store.deleteContact(c);
    return { status: 204 };
  });

  /**
   * `POST /contacts/batch`: update only, exactly one identifier (email | id | sms) per item, all-or-nothing.
   * Unknown contacts fail the whole call: 404 "No contact found for indexes 3,4" (brevo.md §2.4).
   */
  ctx.route('POST', '/contacts/batch', ({ body, endpoint }) => {
    const items = ((body ?? {}) as { contacts?: (ContactInput & { id?: number; sms?: string })[] }).contacts;
    if (!Array.isArray(items) || items.length === 0) throw badRequest('contacts is missing', 'missing_parameter');
    const targets: (Contact | undefined)[] = items.map((it, i) => {
      const given = (['email', 'id', 'sms'] as const).filter((k) => it[k] !== undefined);
      if (given.length !== 1) {
        throw badRequest(`contacts[${i}]: for each operation only pass one of the supported contact identifiers. Email, id or sms`);
      }
      if (it.id !== undefined) return store.get(it.id);
      if (it.email !== undefined) return resolveContact(store, it.email, 'email_id', false);
      return resolveContact(store, it.sms, 'phone_id', false);
    });
    const unknown = targets.flatMap((t, i) => (t ? [] : [i]));
    if (unknown.length) throw notFound(`No contact found for indexes ${unknown.join(',')}`);
    // plan everything first: nothing is written unless every item is valid
    const claimed = new Map<string, number>();
    const plans = items.map((it, i) => {
      const target = targets[i] as Contact;
      const { email: _e, id: _i, sms: _s, ...changes } = it;
      const p = writer.prepare(changes);
      const clash = writer.owners(p).filter((o) => o.contact.id !== target.id).map((o) => o.name);
      for (const [name, value] of writer.identifiers(p)) {
        const key = `${name}\u0000${value}`;
        const holder = claimed.get(key);
        if (holder !== undefined && holder !== target.id) clash.push(name);
        claimed.set(key, target.id);
      }
      if (clash.length) {
        const e = writer.duplicateError('update', clash);
        throw new BrevoHttpError(400, { ...e.body, message: `contacts[${i}]: ${e.body.message}` });
      }
      return { target, p };
    });
    for (const { target, p } of plans) writer.apply(target, p, endpoint);
    return { status: 204 };
  });
}
