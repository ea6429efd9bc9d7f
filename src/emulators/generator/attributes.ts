/** Task attributes as Flex writes them (SEMANTICS §2), plus the malformed variants. */
import type { Rng } from './ids.js';
import type { Kind } from './model.js';
import type { Customer } from './population.js';
import { formatPhone, pickStyle } from './phones.js';
import type { Channel } from './scales.js';
import { COMPANY_NUMBER } from './setup.js';
import type { TaskChannelName } from './setup.js';
import type { AttrValues } from './timeline.js';

const JUNK_PHONES: readonly string[] = ['unknown', 'n/a', '12345', '+1 (000) 000-0000', '555-CALL-NOW'];

export interface BuiltAttributes {
  json: string;
  channelName: TaskChannelName;
  values: AttrValues;
}

export interface AttrInput {
  customer: Customer;
  channel: Channel;
  kind: Kind;
  /** The customer's latest valid interaction (always carries `phone` when the customer has one). */
  latest: boolean;
  /** The customer had an interaction before this one (an upgraded tier shows from now on). */
  returning: boolean;
  conversationSid: string | null;
  callSid: string | null;
}

function emailAsTyped(rng: Rng, email: string): string {
  return rng.weighted<string>([
    [email, 0.7],
    [email.toUpperCase(), 0.1],
    [`  ${email} `, 0.1],
    [email.charAt(0).toUpperCase() + email.slice(1), 0.1],
  ]);
}

export function taskChannelOf(channel: Channel, kind: Kind): TaskChannelName {
  if (kind === 'unknown_channel') return 'default';
  if (kind === 'malformed_attributes' || channel === 'voice') return 'voice';
  return channel === 'sms' ? 'sms' : 'chat';
}

export function buildAttributes(rng: Rng, input: AttrInput): BuiltAttributes {
  const { customer: c, kind } = input;
  // malformed tasks are voice calls; unknown-channel tasks have no channel hints at all
  const channel: Channel = kind === 'malformed_attributes' ? 'voice' : input.channel;
  const channelName = taskChannelOf(channel, kind);
  const values: AttrValues = { name: null, email: null, phone: null, whatsapp: null, tier: null, accountId: null };
  const a: Record<string, unknown> = {};
  if (kind === 'unknown_channel') a.from = c.phone ?? c.chatId ?? c.email;
  else if (channel === 'voice' || channel === 'sms') a.from = c.phone;
  else if (channel === 'whatsapp') a.from = `whatsapp:${c.phone ?? ''}`;
  else a.from = c.chatId;
  if (channel === 'voice' && kind !== 'unknown_channel') {
    a.to = COMPANY_NUMBER;
    a.direction = 'inbound';
    a.caller = c.phone;
  }
  values.name = c.altName !== null && rng.chance(0.5) ? c.altName : c.name;
  a.name = values.name;
  if (c.email !== null) {
    values.email = emailAsTyped(rng, c.email);
    a.email = values.email;
  }
  if (c.phone !== null && (channel === 'webchat' || input.latest || rng.chance(0.75))) {
    if (channel !== 'webchat' && !input.latest && rng.chance(0.04)) {
      // junk typed by an agent: not a valid phone, so the identity falls back to `from` (never on the latest one)
      a.phone = rng.pick(JUNK_PHONES);
    } else {
      a.phone = formatPhone(c.phone, pickStyle(rng));
      values.phone = c.phone;
    }
  }
  const tier = input.returning && c.laterTier !== null ? c.laterTier : c.tier;
  const tierDraw = rng.float();
  if (tier !== null && tierDraw < 0.85) a.customer_tier = tier;
  else if (tierDraw >= 0.95) a.customer_tier = '';
  if (typeof a.customer_tier === 'string') values.tier = a.customer_tier;
  if (c.accountId !== null && rng.chance(0.85)) {
    a.account_id = c.accountId;
    values.accountId = c.accountId;
  }
  if (kind !== 'unknown_channel' && channel !== 'voice') {
    // a few messaging tasks lack channelType: the channel then comes from the participant's messaging_binding
    const ct = channel === 'webchat' ? rng.weighted<string | null>([['web', 0.7], ['chat', 0.2], ['webchat', 0.1]])
      : rng.chance(0.95) ? channel : null;
    if (ct !== null) a.channelType = ct;
    a.conversationSid = input.conversationSid;
    a.direction = 'inbound';
  }
  if (channel === 'whatsapp' && kind === 'ok') values.whatsapp = c.phone;
  if (input.callSid !== null) a.call_sid = input.callSid;
  let json = JSON.stringify(a);
  if (kind === 'malformed_attributes') json = corrupt(rng, json, a);
  return { json, channelName, values };
}

function corrupt(rng: Rng, json: string, a: Record<string, unknown>): string {
  switch (rng.int(0, 2)) {
    case 0:
      return json.slice(0, Math.max(1, json.length - rng.int(3, 12)));
    case 1:
      return json.replace(/"/g, "'");
    default:
      return `from=${encodeURIComponent(String(a.from))}&name=${encodeURIComponent(String(a.name))}`;
  }
}
