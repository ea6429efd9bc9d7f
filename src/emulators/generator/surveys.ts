/**
 * CSAT surveys as separate "virtual" TaskRouter tasks (peers.md §2.6): `conversations.kind = "Survey"`,
 * `conversations.conversation_id` = the interaction's task SID, scores in `conversations.conversation_measure_N` with
 * `conversations.conversation_label_N`, `survey_scale` 5. Most complete minutes after the interaction, some hours or
 * days later ("late"), some never ("absent": canceled after an hour, or still pending at now).
 */
import { TICK_MS, tick } from './ids.js';
import type { SurveyRecord } from './model.js';
import type { Sim, SimTask } from './timeline.js';
import type { TaskView } from './writer.js';

export const SURVEY_SCALE = 5;
export const SURVEY_LABELS: readonly string[] = ['Overall satisfaction', 'Agent knowledge', 'Resolution speed'];
const H = 3_600_000;

export function scheduleSurvey(sim: Sim, task: SimTask, completedMs: number): void {
  const { ctx } = sim;
  const rng = task.rng;
  const { lateSurveyShare: late, absentSurveyShare: absent } = ctx.opts;
  let status = rng.weighted<SurveyRecord['status']>([['ontime', Math.max(0, 1 - late - absent)], ['late', late], ['absent', absent]]);
  const createdMs = tick(completedMs + rng.durationMs(20_000, 0.6, 5_000, 90_000));
  if (createdMs + 2 * TICK_MS > ctx.hardEndMs) return;
  let doneMs: number | null = status === 'ontime' ? createdMs + rng.durationMs(90_000, 0.5, 20_000, 600_000)
    : status === 'late' ? tick(createdMs + rng.int(2 * H, 72 * H)) : null;
  let cancelMs: number | null = status === 'absent' ? createdMs + H : null;
  if (doneMs !== null && doneMs > ctx.hardEndMs) {
    status = 'absent';
    doneMs = null;
  }
  if (cancelMs !== null && cancelMs > ctx.hardEndMs) cancelMs = null;

  const first = rng.weighted<number>([[5, 0.45], [4, 0.25], [3, 0.12], [2, 0.08], [1, 0.1]]);
  const nq = rng.weighted<number>([[3, 0.8], [2, 0.1], [1, 0.1]]);
  const questions: SurveyRecord['questions'] = [];
  for (let i = 0; i < nq; i++) {
    const score = i === 0 ? first : Math.min(SURVEY_SCALE, Math.max(1, first + rng.int(-1, 1)));
    questions.push({ label: SURVEY_LABELS[i] as string, score });
  }
  const c = task.customer;
  const from = task.channel === 'whatsapp' ? `whatsapp:${c.phone ?? ''}` : task.channel === 'webchat' ? c.chatId : c.phone;
  const conversations: Record<string, unknown> = {
    conversation_id: task.sid,
    kind: rng.chance(0.1) ? 'survey' : 'Survey',
    virtual: 'Yes',
    abandoned: 'Yes',
    queue: task.queue.name,
  };
  const base: Record<string, unknown> = { from, name: task.values.name };
  if (c.email !== null) base.email = c.email;
  if (c.phone !== null) base.phone = c.phone;
  base.survey_scale = SURVEY_SCALE;
  const attrs = (answered: number, done: boolean): string => {
    const conv: Record<string, unknown> = { ...conversations, abandoned: done ? 'No' : 'Yes' };
    for (const [i, q] of questions.slice(0, answered).entries()) {
      conv[`conversation_label_${i + 1}`] = q.label;
      conv[`conversation_measure_${i + 1}`] = q.score;
    }
    return JSON.stringify({ ...base, conversations: conv });
  };

  const { refs, writer, sids, model } = ctx;
  const view: TaskView & { lastMs: number } = {
    sid: sids.next('WT'),
    attributes: attrs(0, false),
    createdMs,
    channelName: task.channelName,
    queue: refs.surveyQueue,
    queueEnteredMs: createdMs + TICK_MS,
    workflowSid: refs.surveyWorkflowSid,
    workflowName: refs.surveyWorkflowName,
    status: 'pending',
    priority: 0,
    lastMs: createdMs + TICK_MS,
  };
  model.survey({
    surveySid: view.sid,
    taskSid: task.sid,
    createdMs,
    completedMs: doneMs,
    status,
    score: doneMs === null ? null : first,
    questions: doneMs === null ? [] : questions,
    scale: SURVEY_SCALE,
  });
  const row = (status: string, endedMs: number | null, reason: string | null): void =>
    writer.task({ sid: view.sid, attributes: view.attributes, status, channelName: view.channelName, queueSid: view.queue.sid,
      workflowSid: view.workflowSid, priority: 0, reason, createdMs, updatedMs: endedMs ?? view.lastMs,
      queueEnteredMs: view.queueEnteredMs, endedMs });

  sim.at(createdMs, () => {
    writer.taskEvent('task.created', view, createdMs, 'account', `Task ${view.sid} created`);
    writer.taskEvent('task-queue.entered', view, createdMs + TICK_MS, 'workflow', `Task ${view.sid} entered TaskQueue ${view.queue.name}`);
    if (doneMs === null && cancelMs === null) row('pending', null, null);
  });
  if (doneMs !== null) {
    const done = doneMs;
    sim.at(done - 1000, () => {
      view.attributes = attrs(nq, true);
      writer.taskEvent('task.updated', view, done - 1000, 'account', `Task ${view.sid} updated`);
    });
    sim.at(done, () => {
      view.status = 'completed';
      writer.taskEvent('task.completed', view, done, 'account', `Task ${view.sid} completed`, { completedReason: 'Survey completed' });
      row('completed', done, 'Survey completed');
    });
  } else if (cancelMs !== null) {
    const cancel = cancelMs;
    sim.at(cancel, () => {
      if (rng.chance(0.5)) view.attributes = attrs(1, false);
      view.status = 'canceled';
      writer.taskEvent('task.canceled', view, cancel, 'workspace', `Task ${view.sid} canceled`, { canceledReason: 'Task TTL Exceeded' });
      row('canceled', cancel, 'Task TTL Exceeded');
    });
  }
}
