import { TajoError } from '../../core/errors.js';
import type { InboxItem } from '../../store/types.js';

/**
 * Runs claimed inbox items through `run` so that a row that trips a bug cannot hold the others forever. A bug is an
 * error that is not a coded TajoError: the expected failures (the store or Twilio unavailable, a customer re-derived
 * meanwhile) are TajoErrors and propagate, leaving the batch to its lease, retried as a whole. On a bug the rows are
 * halved until the one that throws is alone; tried once more alone, it goes to `setAside` (the inbox processor keeps
 * its items as `processing_failed` dead letters, each holding its webhook for `tajo dlq replay`).
 */
export async function isolateBugs<R>(items: InboxItem[], d: {
  run: (items: InboxItem[]) => Promise<R>;
  setAside: (items: InboxItem[], err: unknown) => Promise<R>;
  add: (a: R, b: R) => R;
  onSplit: (err: unknown, rows: number) => void;
}): Promise<R> {
  try {
    return await d.run(items);
  } catch (err) {
    if (err instanceof TajoError) throw err;
    // a batch row's items share its id: they complete together, so they are never split
    const ids = [...new Set(items.map((i) => i.id))];
    if (ids.length > 1) {
      d.onSplit(err, ids.length);
      const first = new Set(ids.slice(0, Math.ceil(ids.length / 2)));
      const a = await isolateBugs(items.filter((i) => first.has(i.id)), d);
      const b = await isolateBugs(items.filter((i) => !first.has(i.id)), d);
      return d.add(a, b);
    }
    try {
      return await d.run(items);
    } catch (again) {
      if (again instanceof TajoError) throw again;
      return d.setAside(items, again);
    }
  }
}
