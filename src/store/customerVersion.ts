/** Optimistic versions of customer rows (migration 0004): what both backends check in `commit`. */
import { TajoError } from '../core/errors.js';
import type { CustomerRow } from './types.js';

/**
 * A commit refused because customer rows moved on since they were read: another process re-derived those customers
 * in between, so a contact derived from the older read would miss its interactions. Nothing of the batch was written;
 * the engine re-derives `keys` from the store and commits again (engine/sync/customerCommit.ts). `keys` are ext_ids
 * (phones, e-mails): not enumerable, so they never reach logs or JSON output.
 */
export class CustomerConflictError extends TajoError {
  declare readonly keys: readonly string[];

  constructor(keys: readonly string[]) {
    super('TAJO_CUSTOMER_CONFLICT', `${keys.length} customer row(s) were re-derived by another process since they were read`);
    Object.defineProperty(this, 'keys', { value: Object.freeze([...keys]), enumerable: false });
  }
}

/**
 * Every write inserts version 1 or updates `version = version + 1` only where the stored version is the one the row
 * was derived from (`row.version`); `written` maps each key the statement returned to its new version. A key missing
 * (the update's condition failed) or at another version than `row.version + 1` (inserted although the row was derived
 * from one that has since been deleted) is a conflict.
 */
export function versionConflicts(rows: readonly CustomerRow[], written: ReadonlyMap<string, number>): string[] {
  return rows.filter((r) => written.get(r.key) !== r.version + 1).map((r) => r.key);
}
