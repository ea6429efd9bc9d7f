import { describe, expect, it } from 'vitest';
import { bufferIo } from './io.js';
import { Output } from './output.js';
import { SyncProgressView } from './progress.js';

describe('SyncProgressView', () => {
  it('on a terminal draws one bar per stream (records, requests, budget, ETA) on stderr', () => {
    const io = bufferIo({ isTTY: true });
    const view = new SyncProgressView(io, new Output(io, false));
    view.update({ kind: 'stream', progress: { stream: 'taskrouter_events', records: 1200, requests: 12, fraction: 0.4, budgetUse: 0.95, done: false } });
    view.update({ kind: 'delivery', progress: { delivered: 10, deadLettered: 0, pending: 30, requests: 3 } });
    view.update({ kind: 'stream', progress: { stream: 'taskrouter_events', records: 3000, requests: 30, done: true } });
    view.stop();
    const err = io.stderrText();
    expect(err).toContain('taskrouter_events');
    expect(err).toMatch(/3,000 records \| 30 req/);
    expect(err).toContain('brevo delivery');
    expect(err).toContain('ETA');
    expect(io.stdoutText()).toBe('');
  });

  it('elsewhere prints plain lines, throttled per stream, always the last one', () => {
    const io = bufferIo();
    const view = new SyncProgressView(io, new Output(io, false), 60_000);
    for (let i = 1; i <= 5; i++) view.update({ kind: 'stream', progress: { stream: 'conversations', records: i * 10, requests: i, fraction: i / 5, done: false } });
    view.update({ kind: 'stream', progress: { stream: 'conversations', records: 50, requests: 5, done: true } });
    view.update({ kind: 'stream', progress: { stream: 'conversations', records: 50, requests: 5, done: true } });
    view.update({ kind: 'warning', message: '--since clamped to 30 days' });
    view.stop();
    expect(io.stderrText().trim().split('\n')).toEqual(['conversations: 10 records, 1 requests (20%)', 'conversations: 50 records, 5 requests — done', '! --since clamped to 30 days']);
  });
});
