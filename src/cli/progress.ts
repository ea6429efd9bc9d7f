import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { DeliveryProgress, StreamProgress, SyncProgressEvent } from '../sdk/types.js';
import type { CliIo } from './io.js';
import type { Output } from './output.js';

const n = (x: number) => x.toLocaleString('en-US');
/** Bars run 0..SCALE (fraction of the work), records and requests are shown beside them. */
const SCALE = 1000;

/**
 * Sync progress: one cli-progress bar per stream (records, requests, rate-budget use, ETA) plus one for the
 * Brevo delivery when stdout is a terminal; plain lines at most every `plainEveryMs` per stream otherwise.
 */
export class SyncProgressView {
  private multi: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly lastPlain = new Map<string, { at: number; text: string }>();
  private stopped = false;

  constructor(
    private readonly io: CliIo,
    private readonly out: Output,
    private readonly plainEveryMs = 2000,
  ) {
    if (io.isTTY && !out.json) {
      const stream = Object.assign(
        new Writable({
          write: (chunk: Buffer | string, _e, cb) => {
            io.stderr(chunk.toString());
            cb();
          },
        }),
        { isTTY: true, columns: 120 },
      );
      this.multi = new cliProgress.MultiBar(
        {
          stream,
          format: ' {stream} |{bar}| {percentage}% | {records} records | {requests} req | budget {budget} | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 50,
          fps: 5,
          autopadding: true,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  update(e: SyncProgressEvent): void {
    if (this.stopped) return;
    if (e.kind === 'warning') {
      if (this.multi) this.multi.log(`! ${e.message}\n`);
      else this.out.note(`! ${e.message}`);
      return;
    }
    if (e.kind === 'stream') this.stream(e.progress);
    else this.delivery(e.progress);
  }

  private stream(p: StreamProgress): void {
    const budget = p.budgetUse === undefined ? '-' : `${Math.round(p.budgetUse * 100)}%`;
    // Windowed streams know how far they are (fraction); the others show done / not done.
    const value = p.done ? SCALE : p.fraction !== undefined ? Math.round(p.fraction * SCALE) : 0;
    if (this.multi) {
      const payload = { stream: p.stream.padEnd(17), records: n(p.records).padStart(7), requests: n(p.requests), budget };
      let bar = this.bars.get(p.stream);
      if (!bar) {
        bar = this.multi.create(SCALE, value, payload);
        this.bars.set(p.stream, bar);
      }
      bar.update(value, payload);
      return;
    }
    const pct = p.fraction !== undefined && !p.done ? ` (${Math.round(p.fraction * 100)}%)` : '';
    this.plain(p.stream, p.done, () => `${p.stream}: ${n(p.records)} records, ${n(p.requests)} requests${budget !== '-' ? `, budget ${budget}` : ''}${p.done ? ' — done' : pct}`);
  }

  private delivery(p: DeliveryProgress): void {
    const total = p.delivered + p.deadLettered + p.pending;
    if (this.multi) {
      const payload = { stream: 'brevo delivery'.padEnd(17), records: n(p.delivered + p.deadLettered).padStart(7), requests: n(p.requests), budget: '-' };
      const value = total === 0 ? SCALE : Math.round(((p.delivered + p.deadLettered) / total) * SCALE);
      let bar = this.bars.get('\0delivery');
      if (!bar) {
        bar = this.multi.create(SCALE, value, payload);
        this.bars.set('\0delivery', bar);
      }
      bar.update(value, payload);
      return;
    }
    this.plain('\0delivery', p.pending === 0, () => `brevo delivery: ${n(p.delivered)} delivered, ${n(p.pending)} pending, ${n(p.deadLettered)} dead-lettered, ${n(p.requests)} requests`);
  }

  private plain(key: string, force: boolean, text: () => string): void {
    const now = Date.now();
    const last = this.lastPlain.get(key);
    if (!force && last !== undefined && now - last.at < this.plainEveryMs) return;
    const t = text();
    if (t === last?.text) return;
    this.lastPlain.set(key, { at: now, text: t });
    this.out.note(t);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi?.stop();
  }
}
