/**
 * The background loops of `tajo serve` (and of embedded syncs): the inbox processor turns stored webhooks into
 * derived rows and outbox writes; the delivery worker drains the outbox to Brevo.
 */
import type { Background } from '../../server/app.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId } from '../types.js';

export interface BackgroundLoops {
  loops: Background[];
  /** Wakes the inbox processor after new webhooks were committed. */
  onIngested?: () => void;
  /** What is missing from this build, if anything. */
  warnings: string[];
}

export async function backgroundLoops(_ctx: SdkContext, _id: ConnectorId, _opts: { inbox: boolean; delivery: boolean }): Promise<BackgroundLoops> {
  return { loops: [], warnings: ['the inbox processor and delivery worker are not available in this build: webhooks are stored but not processed'] };
}
