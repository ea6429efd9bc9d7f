/**
 * Checks a command makes before it starts work, so a configuration problem fails the command with its code instead
 * of surfacing later as dead letters or a half-done run.
 */
import type { Channel, SyncResource } from '../config/defaults.js';
import { TajoError } from '../core/errors.js';
import type { SdkContext } from '../sdk/context.js';
import { assertEnabled as sdkAssertEnabled } from '../sdk/services/preflight.js';
import { CONNECTOR_IDS, type ConnectorId } from '../sdk/types.js';

export function connectorIdOf(name: string): ConnectorId {
  const id = CONNECTOR_IDS.find((c) => c === name);
  if (!id) throw new TajoError('TAJO_CONNECTOR_UNKNOWN', `Unknown connector "${name}"`, { hint: `available: ${CONNECTOR_IDS.join(', ')}` });
  return id;
}

/** `enabled: false` in tajo.yaml: sync and serve refuse the connector (TAJO_CONNECTOR_DISABLED; the SDK's check). */
export function assertEnabled(sdk: Pick<SdkContext, 'config'>, name: string, what: string): void {
  sdkAssertEnabled(sdk, connectorIdOf(name), what);
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

/** `--resources` may only narrow the resources the configuration syncs (`sync.<resource>: false` turns one off). */
export function assertResources(sdk: Pick<SdkContext, 'config'>, resources: readonly SyncResource[] | undefined): void {
  if (!resources) return;
  const on = sdk.config.connectors.twilio_flex.sync;
  const off = [...new Set(resources.filter((r) => !on[r]))];
  if (off.length) {
    throw new TajoError('TAJO_USAGE', `--resources ${off.join(', ')}: turned off in the configuration (${off.map((r) => `connectors.twilio_flex.sync.${r}: false`).join(', ')})`, {
      hint: 'set them to true in tajo.yaml, or pick from the resources it syncs',
    });
  }
}
