/** `tajo forget <phone|email|identity>`: remove a person from Tajo's store, optionally their Brevo contacts. */
import { TajoError, isTajoError } from '../../core/errors.js';
import { VendorHttpError } from '../../engine/http.js';
import { normalizeEmail, normalizePhone } from '../../engine/derive/identity.js';
import type { CustomerIdentityQuery } from '../../store/types.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, ForgetResult } from '../types.js';
import { loadConnection } from './connection.js';
import { brevoClientFor } from './clients.js';

const PHONE_LIKE = /^(whatsapp:)?\+?[\d\s().-]{6,}$/;

/** The customer key (ext_id, docs/SEMANTICS.md §2) for what the user typed. */
export function customerKeyOf(input: string, defaultRegion = 'US'): string {
  const v = input.trim();
  if (!v) throw new TajoError('TAJO_USAGE', 'Give a phone number, an email or a chat identity');
  if (v.startsWith('chat:')) return v;
  if (v.includes('@')) return normalizeEmail(v) ?? v.toLowerCase();
  if (PHONE_LIKE.test(v)) {
    const phone = normalizePhone(v.replace(/^whatsapp:/, ''), defaultRegion);
    if (!phone) throw new TajoError('TAJO_USAGE', 'Not a valid phone number', { hint: 'use E.164, e.g. +14155550100' });
    return phone;
  }
  return `chat:${v}`;
}

/**
 * Every identity the typed value can be: a phone (also matched against WhatsApp numbers), an email, and the value as
 * a chat identity (a web chat identity may itself look like an email or a number).
 */
export function identityOf(input: string, defaultRegion = 'US'): CustomerIdentityQuery {
  const key = customerKeyOf(input, defaultRegion);
  const v = input.trim();
  if (key.startsWith('chat:')) return { chatIdentity: key.slice('chat:'.length) };
  if (key.includes('@')) return { email: key, chatIdentity: v };
  return { phone: key, chatIdentity: v };
}

/**
 * Forgets every customer the store recognises by the typed identity (a person keyed by their phone is found by their
 * email too). With `deleteInBrevo`, the connection and the Brevo contacts come first: a connector not installed, a
 * missing key or a Brevo failure throws before anything local is removed (a run again redoes it all). Brevo is asked
 * first because afterwards nothing local would tell which contacts to delete. Nobody found (and, with
 * `deleteInBrevo`, no Brevo contact with that ext_id) is TAJO_PERSON_NOT_FOUND.
 */
export async function forget(ctx: SdkContext, id: ConnectorId, input: string, opts: { deleteInBrevo?: boolean }): Promise<ForgetResult> {
  const region = ctx.config.connectors.twilio_flex.default_phone_region;
  const key = customerKeyOf(input, region);
  const store = await ctx.store();
  const customers = await store.findCustomerKeys(id, identityOf(input, region));

  let brevo: { deleted: string[]; absent: string[] } | undefined;
  // nobody local: the contact Tajo would have created for the typed identity (forgotten earlier without Brevo)
  const extIds = customers.length ? customers : [key];
  const client = opts.deleteInBrevo ? await brevoClientFor(ctx, await loadConnection(ctx, id)) : undefined;
  /** Deletes each contact (404: none); `deleted` those that existed. */
  const deleteContacts = async (c: NonNullable<typeof client>, then: string): Promise<{ deleted: string[]; absent: string[] }> => {
    const r = { deleted: [] as string[], absent: [] as string[] };
    for (const extId of extIds) {
      try {
        await c.call('DELETE', `/contacts/${encodeURIComponent(extId)}?identifierType=ext_id`);
        r.deleted.push(extId);
      } catch (err) {
        if (err instanceof VendorHttpError && err.httpStatus === 404) {
          r.absent.push(extId);
          continue;
        }
        const done = r.deleted.length ? `${r.deleted.length} of ${extIds.length} Brevo contacts were deleted before it` : 'no Brevo contact was deleted';
        const what = `Deleting Brevo contact ${r.deleted.length + r.absent.length + 1} of ${extIds.length} failed (${err instanceof Error ? err.message : String(err)}); ${done}, ${then}`;
        throw new TajoError(isTajoError(err) ? err.code : 'TAJO_BREVO_UNAVAILABLE', what, { hint: 'run the same `tajo forget … --delete-in-brevo` again once Brevo answers', cause: err });
      }
    }
    return r;
  };
  if (client) brevo = await deleteContacts(client, "nothing was removed from Tajo's store");
  if (!customers.length && !brevo?.deleted.length) {
    throw new TajoError('TAJO_PERSON_NOT_FOUND', `Nobody to forget: no customer in Tajo's store has this phone, email, WhatsApp number or chat identity${brevo ? ', and Brevo has no contact with that ext_id' : ''}`, {
      hint: 'give the phone, email or chat identity exactly as the customer used it (a phone in any format, the email in any case)',
    });
  }

  const totals = { interactions: 0, surveys: 0, outbox: 0, deadLetters: 0, inbox: 0, inboxKept: 0 };
  let inflightUntilMs = 0;
  for (const k of customers) {
    const removed = await store.forgetCustomer(id, k);
    totals.interactions += removed.interactions;
    totals.surveys += removed.surveys;
    totals.outbox += removed.outbox;
    totals.deadLetters += removed.deadLetters;
    totals.inbox += removed.inbox;
    totals.inboxKept += removed.inboxKept;
    inflightUntilMs = Math.max(inflightUntilMs, removed.inflightUntilMs ?? 0);
  }
  // A delivery worker (`tajo serve`) had a write about them on its way to Brevo when their rows were removed: it may
  // land after the deletion above and re-create the contact. Its lease bounds when it lands: delete again after it.
  const waitMs = inflightUntilMs - Date.now();
  if (client && waitMs > 0) {
    ctx.logger.info({ connector: id, waitMs }, 'forget: a Brevo write about them is in flight; deleting again once its lease ends');
    await new Promise((r) => setTimeout(r, waitMs));
    const again = await deleteContacts(client, "their data was removed from Tajo's store; only the Brevo deletion remains");
    if (brevo) brevo.deleted = [...new Set([...brevo.deleted, ...again.deleted])];
  }
  const result: ForgetResult = { key, customers, ...totals };
  if (brevo) {
    result.brevoDeleted = brevo.deleted.length > 0;
    result.brevoContactsDeleted = brevo.deleted.length;
  }
  ctx.logger.info({ connector: id, customers: customers.length, ...totals, ...(brevo ? { brevoDeleted: brevo.deleted.length } : {}) }, 'customer forgotten');
  return result;
}
