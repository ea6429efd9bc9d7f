/** `tajo forget <phone|email|identity>`: remove a person from Tajo's store, optionally their Brevo contact. */
import { TajoError } from '../../core/errors.js';
import { normalizeEmail, normalizePhone } from '../../engine/derive/identity.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, ForgetResult } from '../types.js';
import { loadConnection } from './connection.js';
import { brevoRequest, vendorMessage } from './vendorProbe.js';

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
    const conn = await loadConnection(ctx, id);
    if (!conn.brevo.apiKey) throw new TajoError('TAJO_BREVO_AUTH', 'No Brevo API key configured', { hint: 'pass --brevo-api-key or set BREVO_API_KEY' });
    const r = await brevoRequest('DELETE', conn.brevo.apiKey, conn.brevo.baseUrl, `/contacts/${encodeURIComponent(key)}?identifierType=ext_id`);
    if (r.status === 204 || r.status === 200) result.brevoDeleted = true;
    else if (r.status === 404) result.brevoDeleted = false;
    else if (r.status === 401) throw new TajoError('TAJO_BREVO_AUTH', `Brevo rejected the API key (${vendorMessage(r)})`);
    else throw new TajoError('TAJO_BREVO_REJECTED', `Brevo could not delete the contact (${vendorMessage(r)})`);
  }
  ctx.logger.info({ connector: id, removed }, 'customer forgotten');
  return result;
}
