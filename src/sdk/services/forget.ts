/** `tajo forget <phone|email|identity>`: remove a person from Tajo's store, optionally their Brevo contact. */
import { TajoError } from '../../core/errors.js';
import { VendorHttpError } from '../../engine/http.js';
import { normalizeEmail, normalizePhone } from '../../engine/derive/identity.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, ForgetResult } from '../types.js';
import { loadConnection } from './connection.js';
import { brevoClientFor } from './clients.js';

/** The customer key (ext_id, docs/SEMANTICS.md §2) for what the user typed. */
export function customerKeyOf(input: string, defaultRegion = 'US'): string {
  const v = input.trim();
  if (!v) throw new TajoError('TAJO_USAGE', 'Give a phone number, an email or a chat identity');
  if (v.startsWith('chat:')) return v;
  if (v.includes('@')) return normalizeEmail(v) ?? v.toLowerCase();
  if (/^(whatsapp:)?\+?[\d\s().-]{6,}$/.test(v)) {
    const phone = normalizePhone(v.replace(/^whatsapp:/, ''), defaultRegion);
    if (!phone) throw new TajoError('TAJO_USAGE', 'Not a valid phone number', { hint: 'use E.164, e.g. +14155550100' });
    return phone;
  }
  return `chat:${v}`;
}

export async function forget(ctx: SdkContext, id: ConnectorId, input: string, opts: { deleteInBrevo?: boolean }): Promise<ForgetResult> {
  const key = customerKeyOf(input, ctx.config.connectors.twilio_flex.default_phone_region);
  const store = await ctx.store();
  const removed = await store.forgetCustomer(id, key);
  const result: ForgetResult = { key, ...removed };
  if (opts.deleteInBrevo) {
    const client = await brevoClientFor(ctx, await loadConnection(ctx, id));
    try {
      await client.call('DELETE', `/contacts/${encodeURIComponent(key)}?identifierType=ext_id`);
      result.brevoDeleted = true;
    } catch (err) {
      if (!(err instanceof VendorHttpError && err.httpStatus === 404)) throw err;
      result.brevoDeleted = false;
    }
  }
  ctx.logger.info({ connector: id, removed }, 'customer forgotten');
  return result;
}
