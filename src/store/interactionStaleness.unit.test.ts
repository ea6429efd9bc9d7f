import { describe, expect, it } from 'vitest';
import { knowsLess, staleInteractionSql } from './interactionStaleness.js';

const T0 = 1_750_000_000_000;
const row = { createdMs: T0, answeredMs: T0 + 5_000, wrapupMs: T0 + 50_000, endedMs: T0 + 60_000, conversationClosedMs: null };

describe('knowsLess', () => {
  it('is true when the row lacks a time the other has, whatever else it has', () => {
    for (const k of ['createdMs', 'answeredMs', 'wrapupMs', 'endedMs'] as const) expect(knowsLess({ ...row, [k]: null }, row), k).toBe(true);
    expect(knowsLess(row, { ...row, conversationClosedMs: T0 + 70_000 })).toBe(true);
    // more in one field does not make up for less in another
    expect(knowsLess({ ...row, answeredMs: null, conversationClosedMs: T0 + 70_000 }, row)).toBe(true);
  });

  it('is false for a row that knows as much or more, even with other values (a later transfer, precise times)', () => {
    expect(knowsLess(row, row)).toBe(false);
    expect(knowsLess({ ...row, endedMs: T0 + 61_000 }, row)).toBe(false);
    expect(knowsLess({ ...row, conversationClosedMs: T0 + 70_000 }, row)).toBe(false);
    expect(knowsLess(row, { ...row, answeredMs: null, endedMs: null })).toBe(false);
  });

  it('has one SQL twin naming the same columns', () => {
    expect(staleInteractionSql('t', 'x')).toBe(
      '(t.created_ms IS NOT NULL AND x.created_ms IS NULL) OR (t.answered_ms IS NOT NULL AND x.answered_ms IS NULL) OR '
      + '(t.wrapup_ms IS NOT NULL AND x.wrapup_ms IS NULL) OR (t.ended_ms IS NOT NULL AND x.ended_ms IS NULL) OR '
      + '(t.conversation_closed_ms IS NOT NULL AND x.conversation_closed_ms IS NULL)',
    );
  });
});
