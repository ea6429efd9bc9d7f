/** `connectors.sync` embedded: run the sync engine, draining the outbox to Brevo while and after it runs. */
import { TajoError } from '../../core/errors.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, SyncCallOptions, SyncParams, SyncReport } from '../types.js';
import { loadConnection } from './connection.js';

/** Whether this build has the sync engine (the demo degrades without it). */
export async function syncAvailable(): Promise<boolean> {
  return false;
}

export async function sync(ctx: SdkContext, id: ConnectorId, _params: SyncParams, _opts: SyncCallOptions): Promise<SyncReport> {
  await loadConnection(ctx, id);
  throw new TajoError('TAJO_INTERNAL', 'The sync engine is not available in this build', { hint: 'rebuild Tajo (npm run build)' });
}
