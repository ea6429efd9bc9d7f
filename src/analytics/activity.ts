/**
 * Agent activity buckets. The store sums time per worker, day and activity name (src/store/analytics.ts
 * `activityGroups`: each `worker.activity.update` starts a segment that lasts until the worker's next update or the end
 * of the report, min(until, now); segments are clipped to the range and split at UTC midnights; time before a worker's
 * first update is unknown and not counted, as in the ground truth).
 */
export type ActivityBucket = 'available' | 'busy' | 'break' | 'offline';
export const ACTIVITY_BUCKETS: readonly ActivityBucket[] = ['available', 'busy', 'break', 'offline'];

/**
 * TaskRouter activity name → bucket: Available (and custom "Available …" activities), Busy, Offline; every other
 * activity (Break, Unavailable, Lunch, custom not-available ones) counts as break. Unnamed → null (not counted).
 */
export function activityBucket(name: string | null): ActivityBucket | null {
  const n = name?.trim().toLowerCase();
  if (!n) return null;
  if (n.startsWith('available')) return 'available';
  if (n === 'busy') return 'busy';
  if (n === 'offline') return 'offline';
  return 'break';
}

export type ActivityTime = Record<ActivityBucket, number>;
export const emptyTime = (): ActivityTime => ({ available: 0, busy: 0, break: 0, offline: 0 });
