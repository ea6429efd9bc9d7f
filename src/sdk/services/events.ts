/** `connectors.handleEvent` embedded: store the event in the inbox (durable, deduped), then process it. */
import type { SdkContext } from '../context.js';
import type { ConnectorId, HandleEventInput, HandleEventResult } from '../types.js';
import { notInstalled } from './connection.js';
import { toInboxItem } from './handleEvent.js';

export async function handleEvent(ctx: SdkContext, id: ConnectorId, input: HandleEventInput): Promise<HandleEventResult> {
  const item = toInboxItem(input);
  const store = await ctx.store();
  if (!(await store.getConnector(id))) throw notInstalled(id);
  const r = await store.ingest([item]);
  const accepted = r.acceptedKeys.includes(item.key);
  return { accepted, duplicate: !accepted, key: item.key };
}
