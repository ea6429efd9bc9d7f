/**
 * `tajo connectors bootstrap`: create the Brevo contact attributes the field mapping writes (with the types
 * of docs/SEMANTICS.md §3) and, when asked, the two lists. An attribute that exists with another type is
 * reported, never changed (Brevo silently ignores wrong-typed values, so the user must know).
 */
import { TajoError } from '../../core/errors.js';
import type { SdkContext } from '../context.js';
import type { BootstrapParams, BootstrapReport, ConnectorId } from '../types.js';
import { loadConnection } from './connection.js';
import { brevoRequest, vendorMessage, type ProbeResponse } from './vendorProbe.js';

export const ATTRIBUTE_TYPES: Readonly<Record<string, 'text' | 'date' | 'float' | 'boolean'>> = {
  LAST_SUPPORT_DATE: 'date',
  SUPPORT_TICKET_COUNT: 'float',
  AVG_WAIT_TIME: 'float',
  CSAT_SCORE: 'float',
  LAST_WAIT_TIME: 'float',
  ABANDONS_30D: 'float',
  FLEX_IDENTITY: 'text',
  FIRSTNAME: 'text',
  PREFERRED_CHANNEL: 'text',
  VIP_TIER: 'text',
  ACCOUNT_ID: 'text',
  SMS: 'text',
  WHATSAPP: 'text',
};

export const LIST_NAMES = { support_contacts: 'Support contacts (Tajo)', csat_respondents: 'CSAT respondents (Tajo)' } as const;
const FOLDER_NAME = 'Tajo';

function fail(what: string, r: ProbeResponse): TajoError {
  if (r.status === 401) return new TajoError('TAJO_BREVO_AUTH', `Brevo rejected the API key (${vendorMessage(r)})`);
  if (r.status === 0 || r.status === 429 || r.status >= 500) return new TajoError('TAJO_BREVO_UNAVAILABLE', `${what}: ${vendorMessage(r)}`);
  return new TajoError('TAJO_BREVO_REJECTED', `${what}: ${vendorMessage(r)}`);
}

/** Brevo reports some types under other names (`id` for ext ids, `category`); compare loosely. */
function sameType(existing: string | undefined, wanted: string): boolean {
  if (!existing) return true;
  return existing.toLowerCase() === wanted || (wanted === 'text' && ['id', 'text'].includes(existing.toLowerCase()));
}

export async function bootstrap(ctx: SdkContext, id: ConnectorId, p: BootstrapParams): Promise<BootstrapReport> {
  const conn = await loadConnection(ctx, id);
  const apiKey = conn.brevo.apiKey;
  if (!apiKey) throw new TajoError('TAJO_BREVO_AUTH', 'No Brevo API key configured', { hint: 'pass --brevo-api-key, set BREVO_API_KEY, or brevo.api_key in tajo.yaml' });
  const call = (method: string, path: string, body?: unknown) => brevoRequest(method, apiKey, conn.brevo.baseUrl, path, body);
  const cfg = ctx.config.connectors.twilio_flex;

  const listed = await call('GET', '/contacts/attributes');
  if (listed.status !== 200) throw fail('Listing Brevo attributes', listed);
  const existing = new Map<string, string | undefined>();
  for (const a of ((listed.json as { attributes?: { name?: string; type?: string }[] })?.attributes ?? [])) if (a.name) existing.set(a.name.toUpperCase(), a.type);

  const wanted = new Set(Object.values(cfg.field_mapping).filter((t) => t !== 'email').map((t) => t.toUpperCase()));
  wanted.add('WHATSAPP');
  const report: BootstrapReport = { attributes: [], lists: [] };
  for (const name of [...wanted].sort()) {
    const type = ATTRIBUTE_TYPES[name] ?? 'text';
    if (existing.has(name)) {
      const have = existing.get(name);
      report.attributes.push(sameType(have, type) ? { name, type, action: 'exists' } : { name, type, action: 'type_mismatch', ...(have ? { existingType: have } : {}) });
      continue;
    }
    const r = await call('POST', `/contacts/attributes/normal/${encodeURIComponent(name)}`, { type });
    if (r.status !== 201 && r.status !== 204 && r.status !== 200) throw fail(`Creating attribute ${name}`, r);
    report.attributes.push({ name, type, action: 'created' });
  }

  let folderId: number | undefined;
  const allLists = async () => {
    const r = await call('GET', '/contacts/lists?limit=50&offset=0');
    if (r.status !== 200) throw fail('Listing Brevo lists', r);
    return ((r.json as { lists?: { id: number; name: string }[] })?.lists ?? []);
  };
  for (const key of ['support_contacts', 'csat_respondents'] as const) {
    const configured = cfg.lists[key];
    if (configured !== undefined) {
      const r = await call('GET', `/contacts/lists/${configured}`);
      if (r.status === 200) {
        report.lists.push({ key, id: configured, name: String((r.json as { name?: unknown })?.name ?? ''), action: 'exists' });
        continue;
      }
      if (r.status !== 404) throw fail(`Reading list ${configured}`, r);
      if (!p.createLists) {
        report.lists.push({ key, id: configured, action: 'missing' });
        continue;
      }
    } else if (!p.createLists) {
      report.lists.push({ key, id: null, action: 'not_configured' });
      continue;
    }
    const byName = (await allLists()).find((l) => l.name === LIST_NAMES[key]);
    if (byName) {
      report.lists.push({ key, id: byName.id, name: byName.name, action: 'exists' });
      continue;
    }
    folderId ??= await ensureFolder(call);
    const created = await call('POST', '/contacts/lists', { name: LIST_NAMES[key], folderId });
    if (created.status !== 201 && created.status !== 200) throw fail(`Creating list ${LIST_NAMES[key]}`, created);
    report.lists.push({ key, id: Number((created.json as { id?: unknown })?.id), name: LIST_NAMES[key], action: 'created' });
  }
  return report;
}

async function ensureFolder(call: (m: string, p: string, b?: unknown) => Promise<ProbeResponse>): Promise<number> {
  const r = await call('GET', '/contacts/folders?limit=50&offset=0');
  if (r.status !== 200) throw fail('Listing Brevo folders', r);
  const found = ((r.json as { folders?: { id: number; name: string }[] })?.folders ?? []).find((f) => f.name === FOLDER_NAME);
  if (found) return found.id;
  const c = await call('POST', '/contacts/folders', { name: FOLDER_NAME });
  if (c.status !== 201 && c.status !== 200) throw fail('Creating the Tajo folder', c);
  return Number((c.json as { id?: unknown })?.id);
}
