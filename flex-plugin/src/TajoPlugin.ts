import { FlexPlugin } from '@twilio/flex-plugin';
import type { ActionPayload, Manager } from '@twilio/flex-ui';
import type * as Flex from '@twilio/flex-ui';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_QUEUED, resolveConfig, type TajoConfig } from './config';
import { deliver, lastPost, type DeliverDeps, type DeliveryResult, type FetchLike } from './deliver';
import { buildPayload, payloadFromSid, type TaskCompletePayload } from './payload';

export const PLUGIN_NAME = 'TajoPlugin';

/** How many task SIDs the plugin remembers (being posted or delivered) so one task is posted once. */
const REMEMBERED_TASKS = 1_000;

export interface TajoPluginOptions {
  /** Overrides `serviceConfiguration.attributes.tajo`. */
  config?: TajoConfig;
  /** Defaults to the browser's `fetch`. */
  fetch?: FetchLike;
  /**
   * Called once per completed task when its delivery ends (tests, custom telemetry), or when it is dropped from a full
   * queue without being posted (`reason: 'dropped'`, `attempts: 0`).
   */
  onResult?: (taskSid: string, result: DeliveryResult) => void;
  logger?: Pick<Console, 'info' | 'warn' | 'error'>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Where the page's `pagehide` is heard; defaults to the browser's `window` (none: no last post on unload). */
  window?: { addEventListener(type: 'pagehide', listener: () => void): void };
}

/** The agent's Flex token, or undefined while the session has none. */
export function flexToken(manager: Manager): string | undefined {
  try {
    const token = manager.store.getState().flex.session.ssoTokenPayload?.token;
    return typeof token === 'string' && token.length > 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Posts every completed task to Tajo's `/webhooks/flex/task-complete`. Fire-and-forget: the listener starts the
 * delivery and returns at once, so a slow or down Tajo never holds up the agent. Logs carry SIDs and statuses
 * only (never the token, the secret or the attributes).
 */
export class TajoPlugin extends FlexPlugin {
  private readonly options: TajoPluginOptions;

  constructor(options: TajoPluginOptions = {}) {
    super(PLUGIN_NAME);
    this.options = options;
  }

  init(flex: typeof Flex, manager: Manager): void {
    const log = this.options.logger ?? console;
    const resolved = resolveConfig(this.options.config, manager.serviceConfiguration?.attributes);
    if (!resolved.ok) {
      log.warn(`[tajo] plugin disabled: ${resolved.reason}`);
      return;
    }
    const config = resolved.config;
    const { sleep, random } = this.options;
    /** Last posts of the deliveries waiting for a retry (see `pagehide` below). */
    const waiting = new Set<() => void>();
    // Tasks being posted or delivered (oldest first, bounded): a completion Flex reports again is not posted again.
    // A task whose post failed is forgotten, so a later completion of it may try again.
    const posted = new Set<string>();
    /** Completions waiting for a free delivery (see `maxInFlight` below), oldest first. */
    const queue: Array<{ key: string; body: TaskCompletePayload; lastPosted?: boolean }> = [];
    const deps: DeliverDeps = {
      fetch: this.options.fetch ?? ((url, init) => fetch(url, init)),
      flexToken: () => flexToken(manager),
      ...(sleep ? { sleep } : {}),
      ...(random ? { random } : {}),
      keepalive: { inflightBytes: 0 },
      onWait: (postNow) => {
        waiting.add(postNow);
        return () => waiting.delete(postNow);
      },
    };
    // A post waiting for its retry when the tab is closed or navigated away would never be sent: on `pagehide` each
    // is posted once more at once, with keepalive so the request outlives the page (its outcome is not known; the
    // server dedupes a task posted twice, e.g. when the page comes back from the back/forward cache and retries).
    const win = this.options.window ?? (typeof window === 'undefined' ? undefined : window);
    win?.addEventListener('pagehide', () => {
      const posts = [...waiting];
      waiting.clear();
      for (const post of posts) post();
      // Completions still queued never started: each gets one post too (once), with keepalive while the budget
      // allows. They stay queued: a page restored from the back/forward cache delivers them as before.
      for (const job of queue) {
        if (job.lastPosted) continue;
        job.lastPosted = true;
        lastPost(job.body, config, deps);
      }
    });
    // At most `maxInFlight` deliveries under way at once (each holds at most one request and one backoff timer); the
    // others wait in order in a bounded queue, so an agent completing many tasks while Tajo is down does not pile up
    // requests that all retry at once when it comes back. A full queue drops its oldest completion, logged and reported.
    const maxInFlight = config.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    const maxQueued = config.maxQueued ?? DEFAULT_MAX_QUEUED;
    let active = 0;
    const report = (key: string, result: DeliveryResult): void => {
      try {
        this.options.onResult?.(key, result);
      } catch (err) {
        log.error(`[tajo] onResult failed for task ${key}: ${err instanceof Error ? err.name : 'error'}`);
      }
    };
    const pump = (): void => {
      while (active < maxInFlight) {
        const job = queue.shift();
        if (!job) return;
        start(job.key, job.body);
      }
    };
    const start = (key: string, body: TaskCompletePayload): void => {
      active++;
      void deliver(body, config, deps)
        .then((result) => {
          if (!result.ok) {
            posted.delete(key);
            log.error(`[tajo] task ${key} not delivered: ${result.reason}${result.status ? ` (HTTP ${result.status})` : ''} after ${result.attempts} attempt(s)`);
          }
          report(key, result);
        })
        .catch((err: unknown) => {
          posted.delete(key);
          log.error(`[tajo] task ${key} delivery failed: ${err instanceof Error ? err.name : 'error'}`);
        })
        .finally(() => {
          active--;
          pump();
        });
    };
    flex.Actions.addListener('afterCompleteTask', (payload: ActionPayload) => {
      try {
        const task = payload.task;
        const body = task ? buildPayload(task) : payloadFromSid(payload.sid);
        if (!body) {
          log.warn('[tajo] afterCompleteTask without a usable task/reservation SID; not sent');
          return;
        }
        const key = body.TaskSid;
        if (posted.has(key)) {
          log.info(`[tajo] task ${key} already posted; not sent again`);
          return;
        }
        posted.add(key);
        if (posted.size > REMEMBERED_TASKS) posted.delete(posted.values().next().value as string);
        queue.push({ key, body });
        if (queue.length > maxQueued) {
          const oldest = queue.shift();
          if (oldest) {
            posted.delete(oldest.key); // a later completion of it may try again
            log.error(`[tajo] task ${oldest.key} not delivered: dropped (${maxQueued} completions waiting, ${active} post(s) in flight)`);
            report(oldest.key, { ok: false, attempts: 0, reason: 'dropped' });
          }
        }
        pump();
      } catch (err) {
        log.error(`[tajo] afterCompleteTask listener error: ${err instanceof Error ? err.name : 'error'}`);
      }
    });
  }
}
