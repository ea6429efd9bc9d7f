import type { DeadLetterInput, InteractionRow, SurveyRow } from '../../store/types.js';
import { readPath, type Attributes } from './attributes.js';
import { resolveChannel } from './channel.js';
import { identityFromAttributes, normalizeEmail, normalizePhone, type CustomerIdentity } from './identity.js';
import type { TaskFacts } from './interaction.js';
import { toNumber } from './numbers.js';

/** A completed survey, normalised (docs/SEMANTICS.md §5). */
export interface Survey {
  surveyTaskSid: string;
  linkedTaskSid: string | null;
  score: number;
  scale: number;
  questions: { label: string; score: number }[];
  completedMs: number;
  /** Set when the linked interaction is unknown: the survey's own identity. */
  ownIdentity?: CustomerIdentity;
}

export const DEFAULT_SURVEY_SCALE = 5;

/**
 * A score out of `scale`, out of `to` instead (a 10-point survey's 8 is 4 out of 5): how surveys of different scales
 * are averaged together (docs/SEMANTICS.md §5). A scale that is not positive leaves the score as it is.
 */
export const scoreOn = (score: number, scale: number, to: number): number => (scale > 0 ? (score * to) / scale : score);

/** `low_score`: at or below the threshold, which is on a 5-point scale (default 2), in proportion on other scales. */
export const isLowScore = (score: number, scale: number, threshold: number): boolean => scoreOn(score, scale, DEFAULT_SURVEY_SCALE) <= threshold;

/** `conversations.conversation_measure_N` / `conversation_label_N`, N = 1, 2, … in order. */
export function surveyQuestions(attributes: Attributes): { label: string; score: number }[] {
  const conv = readPath(attributes, 'conversations');
  if (conv === null || typeof conv !== 'object') return [];
  const o = conv as Record<string, unknown>;
  const ns = Object.keys(o)
    .map((k) => /^conversation_measure_(\d+)$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const out: { label: string; score: number }[] = [];
  for (const n of ns) {
    const score = toNumber(o[`conversation_measure_${n}`]);
    if (score === undefined) continue;
    const label = o[`conversation_label_${n}`];
    out.push({ label: typeof label === 'string' ? label : `question_${n}`, score });
  }
  return out;
}

export type SurveyDerivation =
  | { kind: 'survey'; survey: Survey }
  /** Canceled or not completed yet, or no score: the survey is absent. */
  | { kind: 'absent' }
  | { kind: 'deadLetter'; deadLetter: DeadLetterInput };

/** The survey's own identity (when its linked interaction is unknown): `from` / `email` / `phone`. */
function ownIdentity(facts: TaskFacts, attributes: Attributes, defaultRegion: string): CustomerIdentity | undefined {
  const channel = resolveChannel(facts.channelName, attributes);
  const byChannel = identityFromAttributes(attributes, channel, defaultRegion);
  if (byChannel) return byChannel;
  // Channel unknown: a `from` that is a valid phone still identifies the customer.
  const phone = normalizePhone(attributes.phone, defaultRegion) ?? normalizePhone(attributes.from, defaultRegion);
  const email = normalizeEmail(attributes.email);
  const extId = phone ?? email;
  if (extId === undefined) return undefined;
  return { extId, ...(phone ? { phone } : {}), ...(email ? { email } : {}) };
}

export function deriveSurvey(facts: TaskFacts, attributes: Attributes, linked: InteractionRow | undefined, defaultRegion = 'US'): SurveyDerivation {
  if (facts.terminal !== 'completed' || facts.endedMs === null) return { kind: 'absent' };
  const questions = surveyQuestions(attributes);
  const score = toNumber(readPath(attributes, 'conversations.conversation_measure_1'));
  if (score === undefined) return { kind: 'absent' };
  const declared = toNumber(attributes.survey_scale);
  const scale = declared !== undefined && declared > 0 ? declared : DEFAULT_SURVEY_SCALE;
  const linkedId = readPath(attributes, 'conversations.conversation_id');
  const linkedTaskSid = typeof linkedId === 'string' && linkedId !== '' ? linkedId : null;
  const survey: Survey = { surveyTaskSid: facts.taskSid, linkedTaskSid, score, scale, questions, completedMs: facts.endedMs };
  if (linked?.customerKey) return { kind: 'survey', survey };
  const own = ownIdentity(facts, attributes, defaultRegion);
  if (own === undefined) {
    return {
      kind: 'deadLetter',
      deadLetter: { source: 'twilio', reason: 'survey_unlinked', recordKey: facts.taskSid, payload: { surveyTaskSid: facts.taskSid, linkedTaskSid, attributes }, error: 'linked interaction unknown and the survey has no identity' },
    };
  }
  return { kind: 'survey', survey: { ...survey, ownIdentity: own } };
}

export function toSurveyRow(s: Survey, customerKey: string | null): SurveyRow {
  return { surveyTaskSid: s.surveyTaskSid, linkedTaskSid: s.linkedTaskSid, customerKey, score: s.score, scale: s.scale, questions: s.questions, completedMs: s.completedMs };
}
