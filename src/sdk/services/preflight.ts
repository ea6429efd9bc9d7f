/**
 * Checks a sync (CLI, SDK embedded or remote: the server runs the same service) and the server's delivery make
 * before they start work, so a configuration problem fails with its code instead of surfacing later as dead letters.
 */
import { TajoError } from '../../core/errors.js';
import { checkConfiguredLists } from '../../sinks/brevo/bootstrap.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId } from '../types.js';
import { brevoClientFor } from './clients.js';
import type { Connection } from './connection.js';

/** `enabled: false` in tajo.yaml: sync and serve refuse the connector (TAJO_CONNECTOR_DISABLED). */
export function assertEnabled(ctx: Pick<SdkContext, 'config'>, id: ConnectorId, what: string): void {
  if (id === 'twilio-flex' && !ctx.config.connectors.twilio_flex.enabled) {
    throw new TajoError('TAJO_CONNECTOR_DISABLED', `Connector ${id} is disabled (connectors.twilio_flex.enabled: false): not starting ${what}`, {
      hint: 'set connectors.twilio_flex.enabled: true in tajo.yaml (or remove the key) to run it',
    });
  }
}

/**
 * The configured Brevo lists must exist before writes naming them are enqueued or delivered: Brevo refuses a contact
 * write naming a missing list, so every contact would be dead-lettered (`brevo_rejected`). TAJO_BREVO_LIST_MISSING
 * (exit 78) names them all. Without a Brevo key nothing is delivered, and nothing is checked.
 */
export async function assertListsExist(ctx: SdkContext, conn: Connection): Promise<void> {
  const lists = ctx.config.connectors.twilio_flex.lists;
  if (lists.support_contacts === undefined && lists.csat_respondents === undefined) return;
  if (!conn.brevo.apiKey) return;
  await checkConfiguredLists(await brevoClientFor(ctx, conn), lists);
}
