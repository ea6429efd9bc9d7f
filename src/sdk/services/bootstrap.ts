/**
 * `tajo connectors bootstrap`: create the Brevo contact attributes the field mapping writes (types from
 * docs/SEMANTICS.md §3) and, when asked, the two lists. An attribute that exists with another type is reported,
 * never changed (Brevo silently ignores wrong-typed values, so the user must know).
 */
import { ensureList, planAttributes, wantedAttributes } from '../../sinks/brevo/bootstrap.js';
import type { SdkContext } from '../context.js';
import type { BootstrapParams, BootstrapReport, ConnectorId } from '../types.js';
import { brevoClientFor } from './clients.js';
import { loadConnection } from './connection.js';

export const LIST_NAMES = { support_contacts: 'Support contacts (Tajo)', csat_respondents: 'CSAT respondents (Tajo)' } as const;

export async function bootstrap(ctx: SdkContext, id: ConnectorId, p: BootstrapParams): Promise<BootstrapReport> {
  const conn = await loadConnection(ctx, id);
  const client = await brevoClientFor(ctx, conn);
  const cfg = ctx.config.connectors.twilio_flex;
  const wanted = wantedAttributes(Object.values(cfg.field_mapping), { WHATSAPP: 'text' });
  const plan = planAttributes(wanted, await client.getAttributes());
  const report: BootstrapReport = { attributes: [], lists: [] };
  for (const a of plan.create) {
    await client.createAttribute(a.name, a.type);
    report.attributes.push({ name: a.name, type: a.type, action: 'created' });
  }
  for (const name of plan.ok) report.attributes.push({ name, type: wanted[name] ?? 'text', action: 'exists' });
  for (const m of plan.mismatched) report.attributes.push({ name: m.name, type: m.want, action: 'type_mismatch', existingType: m.have });
  report.attributes.sort((a, b) => a.name.localeCompare(b.name));

  for (const key of ['support_contacts', 'csat_respondents'] as const) {
    const configured = cfg.lists[key];
    if (configured !== undefined) {
      const list = await client.getList(configured);
      if (list) {
        report.lists.push({ key, id: configured, name: list.name, action: 'exists' });
        continue;
      }
      if (!p.createLists) {
        report.lists.push({ key, id: configured, action: 'missing' });
        continue;
      }
    } else if (!p.createLists) {
      report.lists.push({ key, id: null, action: 'not_configured' });
      continue;
    }
    const before = new Set((await client.getLists()).map((l) => l.id));
    const listId = await ensureList(client, LIST_NAMES[key]);
    report.lists.push({ key, id: listId, name: LIST_NAMES[key], action: before.has(listId) ? 'exists' : 'created' });
  }
  return report;
}
