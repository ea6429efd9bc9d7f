/** `tajo connectors webhooks`: register an Event Streams sink + subscription pointing at `tajo serve`. */
import { TajoError } from '../../core/errors.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, WebhooksParams, WebhooksReport } from '../types.js';
import { loadConnection } from './connection.js';

export async function webhooks(ctx: SdkContext, id: ConnectorId, _params: WebhooksParams): Promise<WebhooksReport> {
  await loadConnection(ctx, id);
  throw new TajoError('TAJO_INTERNAL', 'Event Streams registration is not available in this build');
}
