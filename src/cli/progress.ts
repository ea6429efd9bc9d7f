import { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { DeliveryProgress, StreamProgress, SyncProgressEvent } from '../sdk/types.js';
import type { CliIo } from './io.js';
import type { Output } from './output.js';

const n = (x: number) => x.toLocaleString('en-US');

/**
 * Sync progress: one cli-progress bar per stream (records, requests, rate-budget use, ETA) plus one for the
 * Brevo delivery when stdout is a terminal; plain lines at most every `plainEveryMs` per stream otherwise.
 */
export class SyncProgressView {
  private multi: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private readonly lastPlain = new Map<string, number>();
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
          format: ' {stream} |{bar}| {value}/{total} {unit} | {requests} req | budget {budget} | ETA {eta_formatted}',
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
    const payload = { stream: p.stream.padEnd(16), unit: 'records', requests: n(p.requests), budget: p.budgetUse === undefined ? '-' : `${Math.round(p.budgetUse * 100)}%` };
    const total = p.total ?? (p.done ? p.records : Math.max(p.records + 1, 1));
    if (this.multi) {
      let bar = this.bars.get(p.stream);
      if (!bar) {
        bar = this.multi.create(total, p.records, payload);
        this.bars.set(p.stream, bar);
      }
      bar.setTotal(total);
      bar.update(p.records, payload);
      return;
    }
    this.plain(p.stream, p.done, () => `${p.stream}: ${n(p.records)}${p.total ? `/${n(p.total)}` : ''} records, ${n(p.requests)} requests${payload.budget !== '-' ? `, budget ${payload.budget}` : ''}${p.done ? ' — done' : ''}`);
  }

  private delivery(p: DeliveryProgress): void {
    const total = p.delivered + p.deadLettered + p.pending;
    if (this.multi) {
      const payload = { stream: 'brevo delivery'.padEnd(16), unit: 'writes', requests: n(p.requests), budget: '-' };
      let bar = this.bars.get('\0delivery');
      if (!bar) {
        bar = this.multi.create(Math.max(total, 1), p.delivered + p.deadLettered, payload);
        this.bars.set('\0delivery', bar);
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(p.delivered + p.deadLettered, payload);
      return;
    }
    this.plain('\0delivery', p.pending === 0, () => `brevo delivery: ${n(p.delivered)} delivered, ${n(p.pending)} pending, ${n(p.deadLettered)} dead-lettered, ${n(p.requests)} requests`);
  }

  private plain(key: string, force: boolean, text: () => string): void {
    const now = Date.now();
    const last = this.lastPlain.get(key);
    if (!force && last !== undefined && now - last < this.plainEveryMs) return;
    this.lastPlain.set(key, now);
    this.out.note(text());
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multi?.stop();
  }
}
