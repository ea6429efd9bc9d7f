import { describe, expect, it } from 'vitest';
import type { InteractionRow } from '../../store/types.js';
import { deriveTask } from './interaction.js';
import { deriveSurvey, surveyQuestions } from './survey.js';
import { at, ev, sidOf } from './test-helpers/events.js';

const S = sidOf('WT', 50);
const LINKED = sidOf('WT', 51);
const attrs = (extra: Record<string, unknown> = {}) => ({
  conversations: { kind: 'Survey', conversation_id: LINKED, conversation_measure_1: 4, conversation_label_1: 'Overall', conversation_measure_2: '5', conversation_label_2: 'Agent' },
  ...extra,
});

function surveyOf(events: Parameters<typeof deriveTask>[1], linked?: InteractionRow) {
  const d = deriveTask(S, events);
  if (d.kind !== 'survey') throw new Error(d.kind);
  return deriveSurvey(d.facts, d.attributes, linked);
}

const linkedRow = { taskSid: LINKED, customerKey: '+14155550100' } as InteractionRow;

describe('surveys', () => {
  it('normalises a completed survey', () => {
    const r = surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs({ survey_scale: 10 }), channel: 'voice' }), ev(S, 'task.completed', { at: 30 })], linkedRow);
    expect(r).toEqual({
      kind: 'survey',
      survey: { surveyTaskSid: S, linkedTaskSid: LINKED, score: 4, scale: 10, questions: [{ label: 'Overall', score: 4 }, { label: 'Agent', score: 5 }], completedMs: at(30) },
    });
  });

  it('a scale that is not positive is the default 5 (scores are compared and averaged in proportion to it)', () => {
    for (const survey_scale of [0, -10, 'ten']) {
      const r = surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs({ survey_scale }), channel: 'voice' }), ev(S, 'task.completed', { at: 30 })], linkedRow);
      expect(r).toMatchObject({ kind: 'survey', survey: { score: 4, scale: 5 } });
    }
  });

  it('treats a canceled or unfinished survey as absent', () => {
    expect(surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs() }), ev(S, 'task.canceled', { at: 30 })], linkedRow)).toEqual({ kind: 'absent' });
    expect(surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs() })], linkedRow)).toEqual({ kind: 'absent' });
  });

  it('defaults the scale to 5', () => {
    const r = surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs() }), ev(S, 'task.completed', { at: 1 })], linkedRow);
    expect(r.kind === 'survey' && r.survey.scale).toBe(5);
  });

  it('identifies an unlinked survey by its own attributes, else dead-letters survey_unlinked', () => {
    const own = surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs({ from: '+1 415 555 0100' }), channel: 'voice' }), ev(S, 'task.completed', { at: 1 })]);
    expect(own.kind === 'survey' && own.survey.ownIdentity?.extId).toBe('+14155550100');
    const none = surveyOf([ev(S, 'task.created', { at: 0, attrs: attrs() }), ev(S, 'task.completed', { at: 1 })]);
    expect(none.kind === 'deadLetter' && none.deadLetter.reason).toBe('survey_unlinked');
  });

  it('lists questions in measure order', () => {
    expect(surveyQuestions({ conversations: { conversation_measure_10: 1, conversation_measure_2: 3, conversation_label_2: 'B', conversation_measure_1: 5 } })).toEqual([
      { label: 'question_1', score: 5 },
      { label: 'B', score: 3 },
      { label: 'question_10', score: 1 },
    ]);
  });
});
