import type { EmulatorClock } from '../common/clock.js';
import type { ContactWriter } from './contactWrite.js';
import type { BrevoHandler } from './pipeline.js';
import type { RequestLog } from './requestLog.js';
import type { BrevoStore } from './store.js';

/** What the route modules share. */
export interface BrevoContext {
  store: BrevoStore;
  writer: ContactWriter;
  clock: EmulatorClock;
  log: RequestLog;
  createContactOnUnknownEvent: boolean;
  /** Emulated milliseconds an import takes before it completes. */
  importDelayMs: number;
  /** Register a spec operation (path template relative to the API prefix). */
  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', template: string, handler: BrevoHandler): void;
}
