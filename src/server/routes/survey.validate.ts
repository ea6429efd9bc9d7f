import { z } from 'zod';
import { toNumber } from '../../engine/derive/numbers.js';
import { attributesField, parseWith, sidOf, text, type Parsed } from './common.validate.js';

/**
 * Survey results (docs/SEMANTICS.md §5): either the survey task itself (`TaskSid` + `TaskAttributes` carrying
 * `conversations.kind = "Survey"`, `conversation_id`, `conversation_measure_N`, `conversation_label_N`), or the
 * scores in flat fields (`Score`, `Scale`, `Questions`, linked by `LinkedTaskSid`). Either way it becomes a
 * completed survey task → `survey.completed` (CSAT_SUBMITTED).
 */
const score = z.number().finite().min(-1e6).max(1e6);

export const SurveySchema = z
  .object({
    TaskSid: sidOf('WT').optional(),
    LinkedTaskSid: sidOf('WT').optional(),
    TaskAttributes: attributesField.optional(),
    Score: score.optional(),
    Scale: z.number().finite().positive().max(1000).optional(),
    Questions: z.array(z.object({ label: text(256), score })).max(50).optional(),
    CompletedAt: z.union([text(64), z.number().finite().nonnegative()]).optional(),
    From: text(256).optional(),
    Email: text(320).optional(),
    Phone: text(64).optional(),
    Name: text(256).optional(),
  })
  .refine((v) => v.Score !== undefined || attributesScore(v.TaskAttributes) !== undefined, {
    message: 'needs Score, or TaskAttributes with a numeric conversations.conversation_measure_1',
  })
  .refine((v) => v.TaskSid !== undefined || v.LinkedTaskSid !== undefined, { message: 'needs TaskSid (the survey task) or LinkedTaskSid' });

/** `conversations.conversation_measure_1` of the given attributes (object or JSON text), when it is a number. */
function attributesScore(a: string | Record<string, unknown> | undefined): number | undefined {
  let v: unknown = a;
  if (typeof a === 'string') {
    try {
      v = JSON.parse(a);
    } catch {
      return undefined;
    }
  }
  const conv = v !== null && typeof v === 'object' ? (v as Record<string, unknown>).conversations : undefined;
  const m = conv !== null && typeof conv === 'object' ? (conv as Record<string, unknown>).conversation_measure_1 : undefined;
  return toNumber(m);
}

export type SurveyBody = z.infer<typeof SurveySchema>;

export function validateSurvey(body: unknown): Parsed<SurveyBody> {
  return parseWith(SurveySchema, body);
}

export function surveyKey(v: SurveyBody): string {
  return v.TaskSid ? `survey:${v.TaskSid}` : `survey:linked:${v.LinkedTaskSid ?? ''}`;
}
