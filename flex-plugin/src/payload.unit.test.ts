import { describe, expect, it } from 'vitest';
import { buildPayload } from './payload';
import { fakeTask, QUEUE_SID, RESERVATION_SID, TASK_SID, WORKER_SID } from './test-helpers/fakeFlex';

const at = new Date('2026-01-02T03:04:05.000Z');

describe('buildPayload', () => {
  it('sends the TASK sid (taskSid), with the reservation (sid) beside it', () => {
    const p = buildPayload(fakeTask(), at);
    expect(p?.TaskSid).toBe(TASK_SID);
    expect(p?.ReservationSid).toBe(RESERVATION_SID);
  });

  it('serializes the parsed attributes object to a JSON string and maps the other fields', () => {
    const task = fakeTask();
    expect(buildPayload(task, at)).toEqual({
      TaskSid: TASK_SID,
      ReservationSid: RESERVATION_SID,
      TaskAttributes: JSON.stringify(task.attributes),
      TaskChannelUniqueName: 'chat',
      Age: 184,
      TaskQueueFriendlyName: 'Support',
      TaskQueueSid: QUEUE_SID,
      WorkerSid: WORKER_SID,
      CompletedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(JSON.parse(buildPayload(task, at)?.TaskAttributes ?? '')).toEqual(task.attributes);
  });

  it('omits missing or malformed optional fields instead of sending null', () => {
    const p = buildPayload(fakeTask({ queueName: undefined as never, age: Number.NaN, workerSid: 'nope', queueSid: '', taskChannelUniqueName: '' }), at);
    expect(p).toBeDefined();
    expect(Object.keys(p ?? {}).sort()).toEqual(['CompletedAt', 'ReservationSid', 'TaskAttributes', 'TaskSid']);
  });

  it("sends the task's age at completion from dateCreated (Flex's age is as of the task's last update), age as the floor", () => {
    const created = new Date(at.getTime() - 600_500);
    expect(buildPayload(fakeTask({ age: 184, dateCreated: created }), at)?.Age).toBe(600);
    expect(buildPayload(fakeTask({ age: Number.NaN, dateCreated: created }), at)?.Age).toBe(600);
    // a browser clock behind TaskRouter's: never less than the age Flex reported
    expect(buildPayload(fakeTask({ age: 184, dateCreated: new Date(at.getTime() - 60_000) }), at)?.Age).toBe(184);
    // a dateCreated after the completion (clock skew) or not a Date: the reported age
    expect(buildPayload(fakeTask({ age: 184, dateCreated: new Date(at.getTime() + 60_000) }), at)?.Age).toBe(184);
    expect(buildPayload(fakeTask({ age: 184, dateCreated: 'yesterday' as never }), at)?.Age).toBe(184);
  });

  it('falls back to the reservation SID when the task SID is missing (the server resolves it)', () => {
    const p = buildPayload(fakeTask({ taskSid: undefined as never }), at);
    expect(p?.TaskSid).toBe(RESERVATION_SID);
    expect(p?.ReservationSid).toBeUndefined();
  });

  it('returns undefined when no usable SID exists', () => {
    expect(buildPayload(fakeTask({ taskSid: 'x', sid: 'y' }), at)).toBeUndefined();
  });

  it('bounds long strings to what the server accepts', () => {
    const p = buildPayload(fakeTask({ queueName: 'q'.repeat(300), taskChannelUniqueName: 'c'.repeat(80) }), at);
    expect(p?.TaskQueueFriendlyName).toHaveLength(256);
    expect(p?.TaskChannelUniqueName).toHaveLength(64);
  });
});
