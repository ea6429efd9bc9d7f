/** docs/SEMANTICS.md §6: inbound bodies that opt the customer out (trimmed, upper-cased, exact match). */
export const STOP_KEYWORDS: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);

export function isStopKeyword(body: unknown): boolean {
  return typeof body === 'string' && STOP_KEYWORDS.has(body.trim().toUpperCase());
}
