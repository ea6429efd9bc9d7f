/**
 * Checks a command makes before it starts work, so a configuration problem fails the command with its code instead
 * of surfacing later as dead letters or a half-done run.
 */
import type { Channel } from '../config/defaults.js';
import { TajoError } from '../core/errors.js';
import type { SdkContext } from '../sdk/context.js';
import { brevoClientFor } from '../sdk/services/clients.js';
import { loadConnection } from '../sdk/services/connection.js';
import { CONNECTOR_IDS, type ConnectorId } from '../sdk/types.js';
import { checkConfiguredLists } from '../sinks/brevo/bootstrap.js';

export function connectorIdOf(name: string): ConnectorId {
  const id = CONNECTOR_IDS.find((c) => c === name);
  if (!id) throw new TajoError('TAJO_CONNECTOR_UNKNOWN', `Unknown connector "${name}"`, { hint: `available: ${CONNECTOR_IDS.join(', ')}` });
  return id;
}

/** `enabled: false` in tajo.yaml: sync and serve refuse the connector (TAJO_CONNECTOR_DISABLED). */
export function assertEnabled(sdk: Pick<SdkContext, 'config'>, name: string, what: string): void {
  if (connectorIdOf(name) === 'twilio-flex' && !sdk.config.connectors.twilio_flex.enabled) {
    throw new TajoError('TAJO_CONNECTOR_DISABLED', `Connector ${name} is disabled (connectors.twilio_flex.enabled: false): not starting ${what}`, {
      hint: 'set connectors.twilio_flex.enabled: true in tajo.yaml (or remove the key) to run it',
    });
  }
}

/** `--channels` may only narrow the configured `channels`. */
export function assertChannels(sdk: Pick<SdkContext, 'config'>, channels: readonly Channel[] | undefined): void {
  if (!channels) return;
  const configured = sdk.config.connectors.twilio_flex.channels;
  const outside = channels.filter((c) => !configured.includes(c));
  if (outside.length) {
    throw new TajoError('TAJO_USAGE', `--channels ${outside.join(', ')}: not among the configured channels (${configured.join(', ')})`, {
      hint: 'add them to connectors.twilio_flex.channels in tajo.yaml, or pick from the configured ones',
    });
  }
}

/**
 * The configured Brevo lists must exist before a sync enqueues writes naming them (TAJO_BREVO_LIST_MISSING, exit 78).
 * Without a Brevo key nothing is delivered by this run, and nothing is checked.
 */
export async function assertListsExist(sdk: SdkContext, name: string): Promise<void> {
  const lists = sdk.config.connectors.twilio_flex.lists;
  if (lists.support_contacts === undefined && lists.csat_respondents === undefined) return;
  const conn = await loadConnection(sdk, connectorIdOf(name));
  if (!conn.brevo.apiKey) return;
  await checkConfiguredLists(await brevoClientFor(sdk, conn), lists);
}
