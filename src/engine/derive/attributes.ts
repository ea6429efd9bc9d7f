import { err, ok, type Result } from '../../core/result.js';

export type Attributes = Record<string, unknown>;

/**
 * Task attributes arrive as a JSON string (Events API `event_data.task_attributes`, Task fetch `attributes`).
 * An object is accepted as is (Flex UI payloads carry parsed attributes). Anything that is not a JSON object → error.
 */
export function parseAttributes(raw: unknown): Result<Attributes, 'malformed_attributes'> {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return ok(raw as Attributes);
  if (typeof raw !== 'string') return err('malformed_attributes');
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return ok(parsed as Attributes);
    return err('malformed_attributes');
  } catch {
    return err('malformed_attributes');
  }
}

/** Reads a dotted path (`conversations.kind`) from a parsed object; undefined when any hop is missing. */
export function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
