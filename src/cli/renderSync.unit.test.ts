import { describe, expect, it } from 'vitest';
import { renderSync } from './render.js';
import type { StreamReport, SyncReport } from '../sdk/types.js';

const stream = (name: string, records: number, requests: number, extra: Partial<StreamReport> = {}): StreamReport => ({ stream: name, status: 'ok', pages: 1, records, requests, rateWaitMs: 0, ...extra });
const report = (streams: StreamReport[]): SyncReport => ({
  connector: 'twilio-flex', type: 'full', dryRun: false, status: 'ok', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:04.000Z',
  durationMs: 4000, syncedThrough: '2026-01-01T00:00:00.000Z', streams, outbox: { contact: 0, event: 0, list_add: 0, list_remove: 0 }, deadLetters: {}, warnings: [],
});

describe('renderSync', () => {
  it('the conversations line says it counts the open conversations re-read, not every conversation (new ones come with their tasks)', () => {
    const lines = renderSync(report([stream('taskrouter_events', 3393, 14), stream('conversations', 0, 152, { pages: 0 })]));
    const conv = lines.find((l) => l.trimStart().startsWith('conversations'));
    expect(conv).toMatch(/^ {2}conversations +0 re-read +0 pages +152 requests {2}\(open ones re-read; new ones read with their tasks\)$/);
    expect(conv).not.toContain('records');
    expect(lines.find((l) => l.trimStart().startsWith('taskrouter_events'))).toMatch(/3,393 records +1 pages +14 requests$/);
  });

  it('a failed conversations stream shows its error instead of the note', () => {
    const lines = renderSync(report([stream('conversations', 2, 3, { status: 'failed', error: { code: 'TAJO_TWILIO_UNAVAILABLE', message: 'Twilio is unavailable' } })]));
    expect(lines.find((l) => l.includes('conversations'))).toMatch(/2 re-read .* failed: Twilio is unavailable$/);
  });
});
