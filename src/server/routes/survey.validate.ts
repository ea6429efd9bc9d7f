import { z } from 'zod';
import { parseAttributes, readPath } from '../../engine/derive/attributes.js';
import { toNumber } from '../../engine/derive/numbers.js';
import { DEFAULT_SURVEY_SCALE } from '../../engine/derive/survey.js';
import { attributesField, instant, parseWith, sidOf, text, type Parsed } from './common.validate.js';

/**
 * Survey results (docs/SEMANTICS.md §5): either the survey task itself (`TaskSid` + `TaskAttributes` carrying
 * `conversations.kind = "Survey"`, `conversation_id`, `conversation_measure_N`, `conversation_label_N`), or the
 * scores in flat fields (`Score`, `Scale`, `Questions`, linked by `LinkedTaskSid`). Either way it becomes a
 * completed survey task → `survey.completed` (CSAT_SUBMITTED).
 */
const score = z.number().finite().min(0).max(1000);

export const SurveySchema = z
  .object({
    TaskSid: sidOf('WT').optional(),
    LinkedTaskSid: sidOf('WT').optional(),
    TaskAttributes: attributesField.optional(),
    Score: score.optional(),
    Scale: z.number().finite().positive().max(1000).optional(),
    Questions: z.array(z.object({ label: text(256), score })).max(50).optional(),
    CompletedAt: instant.optional(),
    From: text(256).optional(),
    Email: text(320).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'not an email address' }).optional(),
    Phone: text(64).optional(),
    Name: text(256).optional(),
  })
  .refine((v) => v.Score !== undefined || attributesScore(v.TaskAttributes) !== undefined, {
    message: 'needs Score, or TaskAttributes with a numeric conversations.conversation_measure_1',
  })
  .refine((v) => v.TaskSid !== undefined || v.LinkedTaskSid !== undefined, { message: 'needs TaskSid (the survey task) or LinkedTaskSid' })
  .refine((v) => scores(v).every((s) => s <= scaleOf(v)), { message: 'a score is above the survey scale (Scale, or survey_scale in TaskAttributes; default 5)' });

/** The scale scores are out of: `Scale`, else the attributes' `survey_scale`, else the default (SEMANTICS §5). */
function scaleOf(v: { Scale?: number | undefined; TaskAttributes?: string | Record<string, unknown> | undefined }): number {
  return v.Scale ?? toNumber(attributesOf(v.TaskAttributes)?.survey_scale) ?? DEFAULT_SURVEY_SCALE;
}

/** Every score a post carries: the flat ones and, when no flat Score overrides it, the attributes' first measure. */
function scores(v: { Score?: number | undefined; Questions?: { score: number }[] | undefined; TaskAttributes?: string | Record<string, unknown> | undefined }): number[] {
  const flat = [...(v.Score !== undefined ? [v.Score] : []), ...(v.Questions ?? []).map((q) => q.score)];
  const given = v.Score === undefined ? attributesScore(v.TaskAttributes) : undefined;
  return given !== undefined ? [...flat, given] : flat;
}

/** `conversations.conversation_measure_1` of the given attributes (object or JSON text), when it is a number. */
function attributesScore(a: string | Record<string, unknown> | undefined): number | undefined {
  return toNumber(readPath(attributesOf(a), 'conversations.conversation_measure_1'));
}

/** The given attributes as an object (JSON text parsed), or undefined. */
function attributesOf(a: string | Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const r = parseAttributes(a);
  return r.ok ? r.value : undefined;
}

export type SurveyBody = z.infer<typeof SurveySchema>;

export function validateSurvey(body: unknown): Parsed<SurveyBody> {
  return parseWith(SurveySchema, body);
}

export function surveyKey(v: SurveyBody): string {
  return v.TaskSid ? `survey:${v.TaskSid}` : `survey:linked:${v.LinkedTaskSid ?? ''}`;
}
