/** Scale presets and the knobs of the generator. */

export type Scale = 'small' | 'reference' | 'large';
export type Channel = 'voice' | 'sms' | 'whatsapp' | 'webchat';
export const CHANNELS: readonly Channel[] = ['voice', 'sms', 'whatsapp', 'webchat'];

export interface GeneratorOptions {
  /** Interactions (non-survey tasks, dead letters included). */
  interactions: number;
  /** Customers with at least one interaction (each has at least one valid interaction). */
  customers: number;
  agents: number;
  /** Interaction queues (a separate survey queue is added). */
  queues: number;
  /** Interactions happen within the last `days` days before now (minus `marginMs` at the old end). */
  days: number;
  /** Kept free at the old end of the window, so Events API retention (30 d) and ABANDONS_30D never cut data. */
  marginMs: number;
  /** Share of interactions per channel (customer home channels follow it; the realised mix is close to it). */
  channelMix: Record<Channel, number>;
  /** Share of customers with a phone who also use another channel. */
  multiChannelShare: number;
  /** Share of customers with an email address. */
  emailShare: number;
  /** Share of completed interactions followed by a survey task. */
  surveyShare: number;
  /** Of surveys: completed hours/days later. */
  lateSurveyShare: number;
  /** Of surveys: created but never completed (canceled, or still pending at now). */
  absentSurveyShare: number;
  /** Dead-letter interactions (half malformed attributes, half unknown channel; at least one of each if > 0). */
  malformedShare: number;
  /** Customers who hang up while queued. */
  abandonShare: number;
  /** Answered interactions transferred to another queue. */
  transferShare: number;
  /** Reservations rejected or timed out before another worker accepts. */
  rejectShare: number;
  /** Completed messaging interactions whose conversation stays open. */
  openConversationShare: number;
  /** Closed sms/whatsapp conversations where the customer sends an opt-out keyword. */
  stopShare: number;
  messagesPerConversation: readonly [number, number];
  /** Service level threshold for `answered_within_sl` (wait_seconds ≤ this). */
  serviceLevelSeconds: number;
  /** Include the (large) `events` array in the returned truth; counts are exact either way. */
  truthEvents: boolean;
}

const BASE: GeneratorOptions = {
  interactions: 300,
  customers: 200,
  agents: 8,
  queues: 4,
  days: 3,
  marginMs: 60 * 60 * 1000,
  channelMix: { voice: 0.45, sms: 0.25, whatsapp: 0.18, webchat: 0.12 },
  multiChannelShare: 0.2,
  emailShare: 0.8,
  surveyShare: 0.3,
  lateSurveyShare: 0.1,
  absentSurveyShare: 0.1,
  malformedShare: 0.005,
  abandonShare: 0.08,
  transferShare: 0.06,
  rejectShare: 0.07,
  openConversationShare: 0.04,
  stopShare: 0.03,
  messagesPerConversation: [4, 12],
  serviceLevelSeconds: 20,
  truthEvents: true,
};

export const SCALES: Record<Scale, GeneratorOptions> = {
  small: BASE,
  // The product doc's example: 12,400 conversations, 8,900 customers, 45 agents, last 30 days.
  reference: {
    ...BASE,
    interactions: 12_400,
    customers: 8_900,
    agents: 45,
    queues: 6,
    days: 30,
    marginMs: 24 * 60 * 60 * 1000,
    stopShare: 0.015,
  },
  // ≥ 1,000,000 TaskRouter events, written day by day into a file database.
  large: {
    ...BASE,
    interactions: 100_000,
    customers: 60_000,
    agents: 150,
    queues: 8,
    days: 30,
    marginMs: 24 * 60 * 60 * 1000,
    stopShare: 0.01,
    messagesPerConversation: [3, 6],
    truthEvents: false,
  },
};

export function resolveOptions(scale: Scale, overrides: Partial<GeneratorOptions> = {}): GeneratorOptions {
  const preset = SCALES[scale];
  if (preset === undefined) throw new RangeError(`unknown scale: ${String(scale)}`);
  const opts: GeneratorOptions = { ...preset, ...overrides };
  if (opts.customers < 1 || opts.interactions < opts.customers) {
    throw new RangeError('need 1 ≤ customers ≤ interactions');
  }
  if (opts.agents < 3) throw new RangeError('need at least 3 agents (one per shift)');
  if (opts.queues < 1 || opts.queues > QUEUE_NAMES.length) throw new RangeError(`queues must be 1..${QUEUE_NAMES.length}`);
  return opts;
}

export const QUEUE_NAMES: readonly string[] = [
  'Voice Support',
  'Messaging Support',
  'Billing',
  'VIP Care',
  'Technical Support',
  'Sales',
  'Retention',
  'Spanish Support',
];
