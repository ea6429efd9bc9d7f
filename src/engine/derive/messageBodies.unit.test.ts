import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_MAPPING } from '../../config/defaults.js';
import { isTajoError } from '../../core/errors.js';
import { latestSnapshot, rawEventFromSnapshot, snapshotConversation, type ConversationSnapshot } from './conversation.js';
import { interactionEvents, type InteractionEventSource } from './events.js';
import { BODY_MAX_JSON_BYTES, bodyTransform, ELLIPSIS, fitJsonBytes, fullBody, hashBody, truncateBody, type MessageBodyConfig } from './messageBodies.js';

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s), 'utf8');
const graphemeCount = (s: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].length;
const cfg = (message_bodies: MessageBodyConfig['message_bodies'], message_body_max_chars = 160): MessageBodyConfig => ({ message_bodies, message_body_max_chars });
const KEY = Buffer.alloc(32, 7);

describe('truncated', () => {
  const t = (body: string, max: number) => truncateBody(body, max);

  it('keeps bodies of at most max characters whole, cuts longer ones with an ellipsis (boundaries)', () => {
    expect(t('', 5)).toBe('');
    expect(t('abcd', 5)).toBe('abcd');
    expect(t('abcde', 5)).toBe('abcde');
    expect(t('abcdef', 5)).toBe(`abcde${ELLIPSIS}`);
    expect(t('a', 1)).toBe('a');
    expect(t('ab', 1)).toBe(`a${ELLIPSIS}`);
    const long = 'x'.repeat(2001);
    expect(t(long, 2000)).toBe(`${'x'.repeat(2000)}${ELLIPSIS}`);
    expect(t(long.slice(1), 2000)).toBe(long.slice(1));
  });

  it('counts user-perceived characters: emoji, ZWJ sequences, flags and combining marks are never split', () => {
    const family = '👨‍👩‍👧‍👦';
    expect(t(`${family}${family}${family}`, 2)).toBe(`${family}${family}${ELLIPSIS}`);
    expect(t('🇫🇷🇩🇪🇯🇵', 1)).toBe(`🇫🇷${ELLIPSIS}`);
    const decomposed = 'e\u0301te\u0301'; // "été" with combining acute accents
    expect(t(decomposed, 2)).toBe(`e\u0301t${ELLIPSIS}`);
    expect(t(decomposed, 3)).toBe(decomposed);
    expect(t('日本語のテキストです', 3)).toBe(`日本語${ELLIPSIS}`);
    // a lone surrogate is kept as one character, never produces invalid JSON
    expect(() => JSON.parse(JSON.stringify(t('a\uD800b', 2)))).not.toThrow();
  });

  it('masks e-mails and phones before cutting, so a cut never leaves a partial number readable', () => {
    expect(t('Hi, I am ann@x.io and +14155550123', 160)).toBe('Hi, I am a•••@x.io and +1415•••0123');
    // the cut falls inside the phone number: only masked characters remain
    const cut = t('Call me at +14155550123 today', 16);
    expect(cut).toBe(`Call me at +1415${ELLIPSIS}`);
    expect(cut).not.toMatch(/5550123/);
  });

  it('stays within the per-property byte bound even for a single enormous grapheme', () => {
    const zalgo = `a${'\u0301'.repeat(20_000)}b`;
    const out = t(zalgo, 2000);
    expect(jsonBytes(out)).toBeLessThanOrEqual(BODY_MAX_JSON_BYTES);
    expect(out.endsWith(ELLIPSIS)).toBe(true);
  });
});

describe('hashed', () => {
  it('is the hex HMAC-SHA256 of the exact UTF-8 body: deterministic, key-dependent, not the body', () => {
    const h = hashBody('Thanks, that worked! ✅', KEY);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(createHmac('sha256', KEY).update(Buffer.from('Thanks, that worked! ✅', 'utf8')).digest('hex'));
    expect(hashBody('Thanks, that worked! ✅', Buffer.from(KEY))).toBe(h);
    expect(hashBody('Thanks, that worked! ✅', randomBytes(32))).not.toBe(h);
    expect(hashBody('Thanks, that worked! ✅ ', KEY)).not.toBe(h);
    expect(hashBody('', KEY)).toMatch(/^[0-9a-f]{64}$/);
    // NFC and NFD spellings are different bytes, so different hashes (the body is hashed exactly as Twilio gave it)
    expect(hashBody('\u00e9', KEY)).not.toBe(hashBody('e\u0301', KEY));
  });

  it('needs the key: without one the transform refuses to exist', () => {
    let err: unknown;
    try {
      bodyTransform(cfg('hashed'));
    } catch (e) {
      err = e;
    }
    expect(isTajoError(err, 'TAJO_MESSAGE_BODY_KEY_MISSING')).toBe(true);
    expect(bodyTransform(cfg('hashed'), KEY)?.('hello')).toBe(hashBody('hello', KEY));
  });
});

describe('full', () => {
  it('keeps the body as is, including PII and unicode', () => {
    const body = 'Reach me at ann@x.io / +14155550123 — merci 🙏';
    expect(fullBody(body)).toBe(body);
    expect(fullBody('x'.repeat(1600))).toBe('x'.repeat(1600));
  });

  it('cuts only what would exceed the byte bound (measured as JSON, escapes included)', () => {
    const fits = 'é'.repeat((BODY_MAX_JSON_BYTES - 2) / 2);
    expect(jsonBytes(fits)).toBe(BODY_MAX_JSON_BYTES);
    expect(fullBody(fits)).toBe(fits);
    const over = `${fits}é`;
    const cut = fullBody(over);
    expect(cut.endsWith(ELLIPSIS)).toBe(true);
    expect(jsonBytes(cut)).toBeLessThanOrEqual(BODY_MAX_JSON_BYTES);
    expect(graphemeCount(cut)).toBe(graphemeCount(fits) - 2 + 1);
    const quotes = '"'.repeat(BODY_MAX_JSON_BYTES); // each is 2 bytes once escaped
    expect(jsonBytes(fullBody(quotes))).toBeLessThanOrEqual(BODY_MAX_JSON_BYTES);
    expect(fitJsonBytes('abcdefgh', 6)).toBe(`a${ELLIPSIS}`);
    expect(fitJsonBytes('abcd', 6)).toBe('abcd');
  });
});

describe('bodyTransform', () => {
  it('is undefined for off and applies the mode otherwise', () => {
    expect(bodyTransform(cfg('off'), KEY)).toBeUndefined();
    expect(bodyTransform(cfg('truncated', 3))?.('abcdef')).toBe(`abc${ELLIPSIS}`);
    expect(bodyTransform(cfg('full'))?.('abcdef ann@x.io')).toBe('abcdef ann@x.io');
  });
});

describe('customer bodies in snapshots and CONVERSATION_ENDED', () => {
  const conv = (over: Record<string, unknown> = {}) => ({ sid: 'CH1', state: 'closed', date_created: '2026-06-01T10:00:00Z', date_updated: '2026-06-01T10:05:00Z', timers: { date_closed: '2026-06-01T10:04:00Z' }, ...over });
  const customer = { sid: 'MB1', identity: null, messaging_binding: { type: 'sms', address: '+14155550100' } };
  const msg = (i: number, author: string, body: string | null, participant_sid: string | null = null) => ({ sid: `IM${i}`, author, body, participant_sid });
  const messages = [
    msg(1, '+14155550100', 'Hi, my order is late', 'MB1'),
    msg(2, 'alice', 'Sorry! Checking.', 'MB2'),
    msg(3, '+14155550100', null, 'MB1'), // media only
    msg(4, '+14155550100', 'Thanks, that worked!', 'MB1'),
    msg(5, 'alice', 'Bye', 'MB2'),
  ];

  it('takes the first and last customer bodies, only when asked and only once closed', () => {
    expect(snapshotConversation(conv(), [customer], messages, { bodies: true }).bodies).toEqual({ first: 'Hi, my order is late', last: 'Thanks, that worked!' });
    expect('bodies' in snapshotConversation(conv(), [customer], messages)).toBe(false);
    expect('bodies' in snapshotConversation(conv({ state: 'active', timers: {} }), [customer], messages, { bodies: true })).toBe(false);
    expect(snapshotConversation(conv(), [customer], messages.filter((m) => m.author === 'alice'), { bodies: true }).bodies).toBeNull();
    // web chat: no binding, the customer is the task's `from` identity
    const chat = [msg(1, 'ann_chat', 'hello'), msg(2, 'alice', 'hi'), msg(3, 'ann_chat', 'bye')];
    expect(snapshotConversation(conv(), [], chat, { bodies: true, customerAddress: 'ann_chat' }).bodies).toEqual({ first: 'hello', last: 'bye' });
  });

  it('without bodies the snapshot and its content key are exactly those of mode off', () => {
    const off = snapshotConversation(conv(), [customer], messages);
    const open = snapshotConversation(conv({ state: 'active', timers: {} }), [customer], messages, { bodies: true });
    expect(rawEventFromSnapshot('WT1', open).key).toBe(rawEventFromSnapshot('WT1', snapshotConversation(conv({ state: 'active', timers: {} }), [customer], messages)).key);
    expect(rawEventFromSnapshot('WT1', snapshotConversation(conv(), [customer], messages, { bodies: true })).key).not.toBe(rawEventFromSnapshot('WT1', off).key);
  });

  it('latestSnapshot keeps the bodies of a closed read without letting that read replace the best snapshot', () => {
    const base: ConversationSnapshot = { sid: 'CH1', state: 'closed', createdMs: 1, updatedMs: 9, closedMs: 9_123, bindingType: 'sms', optOut: false };
    const read = { ...base, closedMs: 9_000, updatedMs: 9, bodies: { first: 'a', last: 'b' } };
    const best = latestSnapshot([rawEventFromSnapshot('WT1', { ...base, updatedMs: 10 }), rawEventFromSnapshot('WT1', read)]);
    expect(best).toMatchObject({ closedMs: 9_123, updatedMs: 10, bodies: { first: 'a', last: 'b' } });
    expect('bodies' in (latestSnapshot([rawEventFromSnapshot('WT1', base)]) ?? {})).toBe(false);
  });

  const NOW = Date.UTC(2026, 5, 1, 10);
  const interaction = (over: Partial<InteractionEventSource> = {}): InteractionEventSource => ({
    taskSid: 'WT1', channel: 'sms', createdQueueName: 'Support', queueName: 'Support', conversationSid: 'CH1', workerName: 'Alice', workerSid: 'WK1',
    createdMs: NOW, answeredMs: NOW + 1000, wrapupMs: NOW + 50_000, endedMs: NOW + 60_000, outcome: 'completed', conversationClosedMs: NOW + 55_000,
    customerBodies: { first: 'Hi, I am ann@x.io', last: 'Thanks, that worked!' }, ...over,
  });
  const ended = (i: InteractionEventSource, mode: MessageBodyConfig['message_bodies'], max = 160) =>
    interactionEvents(i, { eventMapping: DEFAULT_EVENT_MAPPING, extId: '+14155550100', messageBody: bodyTransform(cfg(mode, max), KEY) }).find((e) => e.item.event_name === 'CONVERSATION_ENDED')?.item.event_properties;

  it('CONVERSATION_ENDED carries the transformed bodies in every mode but off; no other event ever does', () => {
    expect(ended(interaction(), 'truncated', 10)).toMatchObject({ first_customer_message: `Hi, I am a${ELLIPSIS}`, last_customer_message: `Thanks, th${ELLIPSIS}` });
    expect(ended(interaction(), 'truncated')).toMatchObject({ first_customer_message: 'Hi, I am a•••@x.io', last_customer_message: 'Thanks, that worked!' });
    expect(ended(interaction(), 'hashed')).toMatchObject({ first_customer_message: hashBody('Hi, I am ann@x.io', KEY), last_customer_message: hashBody('Thanks, that worked!', KEY) });
    expect(ended(interaction(), 'full')).toMatchObject({ first_customer_message: 'Hi, I am ann@x.io', last_customer_message: 'Thanks, that worked!' });
    const off = ended(interaction(), 'off');
    expect(off).toBeDefined();
    expect(Object.keys(off ?? {}).filter((k) => k.includes('message'))).toEqual([]);
    expect(JSON.stringify(off)).not.toContain('Thanks');
    // no bodies read (null: the customer wrote none; undefined: not read) → no property
    expect(Object.keys(ended(interaction({ customerBodies: null }), 'full') ?? {})).not.toContain('first_customer_message');
    const { customerBodies: _unread, ...unread } = interaction();
    expect(Object.keys(ended(unread, 'full') ?? {})).not.toContain('first_customer_message');
    // only CONVERSATION_ENDED
    const all = interactionEvents(interaction(), { eventMapping: DEFAULT_EVENT_MAPPING, extId: 'x', messageBody: bodyTransform(cfg('full')) });
    expect(all.filter((e) => JSON.stringify(e.item).includes('Thanks')).map((e) => e.item.event_name)).toEqual(['CONVERSATION_ENDED']);
  });

  it('keeps event_properties under Brevo\'s 50 KB even with two maximal bodies', () => {
    const huge = '\u0000'.repeat(20_000); // 6 bytes each once JSON-escaped
    const props = ended(interaction({ customerBodies: { first: huge, last: `${'🙂'.repeat(10_000)}` } }), 'full');
    expect(Buffer.byteLength(JSON.stringify(props), 'utf8')).toBeLessThanOrEqual(50 * 1024);
  });
});
