/**
 * A small discrete-event simulation of the contact center: tasks wait in one FIFO (every agent serves every queue),
 * agents follow their shift plans, go Busy while handling a task and take planned breaks once free. Events are
 * processed in time order, so world rows are written chronologically and the run can be committed day by day.
 */
import type { Rng } from './ids.js';
import { TICK_MS, tick } from './ids.js';
import type { Kind, ModelWriter } from './model.js';
import type { Customer } from './population.js';
import type { Channel, GeneratorOptions } from './scales.js';
import type { QueueDef, WorldRefs } from './setup.js';
import type { ActivityName, WorkerDef } from './workers.js';
import type { SidFactory } from './ids.js';
import type { TaskView, WorkerView, WorldWriter } from './writer.js';

export interface SimWorker extends WorkerView {
  def: WorkerDef;
  since: number;
  lastMs: number;
  state: 'free' | 'reserved' | 'busy';
  pending: ActivityName | null;
  idleSince: number;
}

export interface ReservationState {
  sid: string;
  worker: SimWorker;
  status: string;
  createdMs: number;
  updatedMs: number;
}

/** Values put into the task attributes, as the model records them. */
export interface AttrValues {
  name: string | null;
  email: string | null;
  phone: string | null;
  whatsapp: string | null;
  tier: string | null;
  accountId: string | null;
}

export interface SimTask extends TaskView {
  customer: Customer;
  channel: Channel | null;
  kind: Kind;
  rng: Rng;
  values: AttrValues;
  initialQueue: QueueDef;
  lastMs: number;
  abandon: boolean;
  patienceMs: number;
  rejects: number;
  transfer: boolean;
  openConversation: boolean;
  consent: 'stop' | 'decoy' | null;
  survey: boolean;
  excluded: Set<string>;
  reservation: ReservationState | null;
  reservations: ReservationState[];
  answeredMs: number | null;
  worker: SimWorker | null;
  wrapupMs: number | null;
  agents: Array<{ identity: string; joinedMs: number }>;
  conversationSid: string | null;
  conversationCreatedMs: number;
  deadlineMs: number;
  /** The `task_canceled_reason` sent when the task was canceled (lifecycle.ts), else null. */
  cancelReason: string | null;
}

export interface SimContext {
  seed: number;
  refs: WorldRefs;
  writer: WorldWriter;
  model: ModelWriter;
  sids: SidFactory;
  opts: GeneratorOptions;
  /** Nothing is scheduled after this (a little before now). */
  hardEndMs: number;
}

interface HeapItem {
  t: number;
  seq: number;
  fn: () => void;
}

class Heap {
  private readonly items: HeapItem[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(t: number, fn: () => void): void {
    const item = { t, seq: this.seq++, fn };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(item, a[p] as HeapItem)) break;
      a[i] = a[p] as HeapItem;
      i = p;
    }
    a[i] = item;
  }

  pop(): HeapItem | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && less(a[r] as HeapItem, a[l] as HeapItem) ? r : l;
      if (!less(a[c] as HeapItem, last)) break;
      a[i] = a[c] as HeapItem;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

const less = (x: HeapItem, y: HeapItem): boolean => x.t < y.t || (x.t === y.t && x.seq < y.seq);

export class Sim {
  now: number;
  readonly waiting: SimTask[] = [];
  reserveHook: (task: SimTask, worker: SimWorker, t: number) => void = () => undefined;
  private readonly heap = new Heap();
  private dispatching = false;

  constructor(
    readonly ctx: SimContext,
    startMs: number,
    readonly workers: SimWorker[],
  ) {
    this.now = startMs;
  }

  at(t: number, fn: () => void): void {
    this.heap.push(Math.max(tick(t), this.now), fn);
  }

  /** Drain the heap in time order; `onDay(dayIndex)` runs when the clock enters a new UTC day. */
  run(onDay: (day: number) => void): void {
    let day = Math.floor(this.now / 86_400_000);
    for (let item = this.heap.pop(); item !== undefined; item = this.heap.pop()) {
      const d = Math.floor(item.t / 86_400_000);
      if (d !== day) {
        day = d;
        onDay(d);
      }
      // everything emitted from now on is dated ≥ item.t, so earlier buffered events are final
      if (item.t > this.now) this.ctx.writer.flush(item.t);
      this.now = item.t;
      item.fn();
    }
  }

  /** Stamp a task event: strictly after the task's previous event, on the tick grid. */
  stamp(task: SimTask, t: number): number {
    const ms = Math.max(tick(t), task.lastMs + TICK_MS);
    task.lastMs = ms;
    return ms;
  }

  setActivity(w: SimWorker, t: number, next: ActivityName): void {
    if (w.activity === next) return;
    const ms = Math.max(tick(t), w.lastMs + TICK_MS);
    const prev = w.activity;
    const prevSince = w.since;
    w.activity = next;
    w.since = ms;
    w.lastMs = ms;
    this.ctx.writer.workerActivity(w, prev, prevSince, ms);
    this.ctx.model.activity(w.sid, ms, next);
    if (next === 'Available') {
      w.idleSince = ms;
      this.dispatch(ms);
    }
  }

  /** A planned activity change: applied now when the worker is free, else once the current task is done. */
  plan(w: SimWorker, t: number, next: ActivityName): void {
    if (w.state === 'free') this.setActivity(w, t, next);
    else w.pending = next;
  }

  release(w: SimWorker, t: number): void {
    w.state = 'free';
    const next = w.pending ?? (w.activity === 'Busy' ? 'Available' : w.activity);
    w.pending = null;
    if (next !== w.activity) this.setActivity(w, t, next);
    else if (next === 'Available') {
      w.idleSince = Math.max(w.idleSince, tick(t));
      this.dispatch(t);
    }
  }

  idleWorker(exclude: ReadonlySet<string>): SimWorker | undefined {
    let best: SimWorker | undefined;
    for (const w of this.workers) {
      if (w.state !== 'free' || w.activity !== 'Available' || exclude.has(w.sid)) continue;
      if (best === undefined || w.idleSince < best.idleSince) best = w;
    }
    return best;
  }

  /** Offer waiting tasks (oldest first) to idle workers. */
  dispatch(t: number): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let i = 0; i < this.waiting.length; ) {
        const task = this.waiting[i] as SimTask;
        const w = this.idleWorker(task.excluded);
        if (w === undefined) {
          i++;
          continue;
        }
        this.waiting.splice(i, 1);
        this.reserveHook(task, w, t);
      }
    } finally {
      this.dispatching = false;
    }
  }

  enqueue(task: SimTask, t: number, front = false): void {
    if (front) this.waiting.unshift(task);
    else this.waiting.push(task);
    this.dispatch(t);
  }

  dequeue(task: SimTask): boolean {
    const i = this.waiting.indexOf(task);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }
}
