import type { Channel } from '../../config/defaults.js';
import type { Attributes } from './attributes.js';

/**
 * docs/SEMANTICS.md §2: `task_channel_unique_name === "voice"` → voice; else `attributes.channelType`
 * (`web`|`chat`|`webchat` → webchat, `sms`, `whatsapp`); else the Conversation's customer participant
 * `messaging_binding.type` (`sms`|`whatsapp`); else undefined (dead letter `unknown_channel`).
 */
export function resolveChannel(taskChannelUniqueName: string | undefined, attributes: Attributes, bindingType?: string): Channel | undefined {
  if (taskChannelUniqueName === 'voice') return 'voice';
  const ct = typeof attributes.channelType === 'string' ? attributes.channelType.toLowerCase() : undefined;
  if (ct === 'web' || ct === 'chat' || ct === 'webchat') return 'webchat';
  if (ct === 'sms') return 'sms';
  if (ct === 'whatsapp') return 'whatsapp';
  const bt = bindingType?.toLowerCase();
  if (bt === 'sms') return 'sms';
  if (bt === 'whatsapp') return 'whatsapp';
  return undefined;
}

export const MESSAGING_CHANNELS: readonly Channel[] = ['sms', 'whatsapp', 'webchat'];
