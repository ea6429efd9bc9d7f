import { TajoError } from '../errors.js';

/** The TajoError `fn` throws; anything else it throws is rethrown, and not throwing fails the test. */
export function thrownTajoError(fn: () => unknown): TajoError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TajoError) return err;
    throw err;
  }
  throw new Error('expected a TajoError');
}
