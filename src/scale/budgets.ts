/**
 * Which rate budgets a process uses: on Postgres (several replicas) the shared, store-backed buckets; on SQLite
 * (one process) the in-process ones. Rates and windows come from the engine's own budget definitions
 * (`budgetsForBrevo` / `budgetsForTwilio`), so there is one source for the vendors' numbers.
 */
import type { Logger } from '../core/logger.js';
import { budgetsForBrevo, budgetsForTwilio, type BrevoBudgets, type RateBudget, type TwilioBudgets } from '../engine/budget.js';
import type { Store } from '../store/store.js';
import { sharedBurst, SharedRateBudget } from './sharedBudget.js';

export interface SharedBudgetTuning {
  /** Request transit time the shared burst leaves room for (default 250 ms; see `sharedBurst`). */
  transitMs?: number;
  logger?: Logger;
}

/** A shared twin of an in-process budget: same name, rate and hourly window; burst reduced for transit time. */
export function shareBudget(store: Pick<Store, 'spendBudget'>, local: RateBudget, tuning: SharedBudgetTuning = {}): SharedRateBudget {
  const snap = local.snapshot();
  const scale = local.timeScale;
  const rate = Number.isFinite(snap.ratePerSecond) ? snap.ratePerSecond : 1_000 * scale;
  // Every engine budget has a burst of one vendor second: `rate / scale` tokens.
  const vendorBurst = Math.max(1, Math.round(rate / scale));
  return new SharedRateBudget(snap.name, {
    store,
    ratePerSecond: rate,
    burst: sharedBurst(vendorBurst, rate, tuning.transitMs),
    vendorBurst,
    ...(tuning.transitMs !== undefined ? { transitMs: tuning.transitMs } : {}),
    ...(snap.perHour !== undefined ? { perHour: snap.perHour } : {}),
    timeScale: scale,
    ...(tuning.logger ? { logger: tuning.logger } : {}),
  });
}

export function brevoBudgetsFor(store: Store, timeScale = 1, tuning: SharedBudgetTuning = {}): BrevoBudgets {
  const local = budgetsForBrevo(timeScale);
  if (store.kind !== 'postgres') return local;
  return { contacts: shareBudget(store, local.contacts, tuning), events: shareBudget(store, local.events, tuning), other: shareBudget(store, local.other, tuning) };
}

export function twilioBudgetsFor(store: Store, workspaceSid: string, timeScale = 1, tuning: SharedBudgetTuning = {}): TwilioBudgets {
  const local = budgetsForTwilio(workspaceSid, timeScale);
  if (store.kind !== 'postgres') return local;
  return {
    flex: shareBudget(store, local.flex, tuning),
    conversations: shareBudget(store, local.conversations, tuning),
    taskrouter: shareBudget(store, local.taskrouter, tuning),
    events: shareBudget(store, local.events, tuning),
  };
}
