/**
 * JSON batch bodies (an Event Streams delivery: an array of CloudEvents) taken as they are: which items a declarative
 * spec accepts (`batchKeys`: the SQLite store takes such a body into its inbox journal as is), and where each item lies
 * in the body, to store it as the bytes it arrived as.
 */

/**
 * What a store may take from a JSON batch body as is, without the main thread decoding it: an array of 1 to
 * `maxItems` objects whose `required` fields are strings of 1..max characters and whose `optional` fields, when
 * present, strings of at most max characters (`hasSpecFields`), none with a `typeField` value in `fallbackTypes`.
 * Anything else is handed back untouched. Each item is deduped on its `keyField` (the first of a repeated key wins) and
 * kept as its text in the body (SQLite: one inbox row per body). Plain data (a SQLite store posts it to its writer
 * thread).
 */
export interface JsonBatchSpec {
  keyField: string;
  typeField: string;
  required: readonly (readonly [string, number])[];
  optional: readonly (readonly [string, number])[];
  fallbackTypes: readonly string[];
  maxItems: number;
}

/** True when `e` is an object whose fields meet the spec's `required` and `optional` rules. */
export function hasSpecFields(e: unknown, spec: Pick<JsonBatchSpec, 'required' | 'optional'>): boolean {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  for (const [k, max] of spec.required) {
    const v = o[k];
    if (typeof v !== 'string' || v.length < 1 || v.length > max) return false;
  }
  for (const [k, max] of spec.optional) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v.length > max)) return false;
  }
  return true;
}

/**
 * The byte ranges (`[start, end)`) of the elements of a body whose top level is a JSON array, or undefined when it is
 * not one (an object, a syntax the scanner does not follow). Ranges start and end at ASCII structural bytes, so each
 * decodes to exactly the element's text as sent (an Event Streams batch's CloudEvents are stored as received instead
 * of re-serialised). The scanner does not validate: call it on a body JSON.parse accepted.
 */
export function arrayElementRanges(buf: Uint8Array): [number, number][] | undefined {
  // One tight loop, as it runs on every Event Streams delivery: strings are skipped inline, nesting is a depth count. Bytes: " 0x22, \\ 0x5c, , 0x2c, { 0x7b, } 0x7d, [ 0x5b, ] 0x5d; space 0x20, \n 0x0a, \r 0x0d, \t 0x09.
  const n = buf.length;
  let i = 0;
  while (i < n && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  if (buf[i] !== 0x5b) return undefined;
  i++;
  const out: [number, number][] = [];
  for (;;) {
    while (i < n && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
    if (i >= n) return undefined;
    if (out.length === 0 && buf[i] === 0x5d) {
      i++;
      break;
    }
    const start = i;
    let depth = 0;
    for (; i < n; i++) {
      const b = buf[i];
      if (b === 0x22) {
        for (i++; i < n; i++) {
          const c = buf[i];
          if (c === 0x5c) i++;
          else if (c === 0x22) break;
        }
        if (i >= n) return undefined;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        if (depth === 0) break; // the end of a scalar at the array's close
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0 && (b === 0x2c || b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) break;
    }
    if (i === start || depth !== 0) return undefined;
    out.push([start, i]);
    while (i < n && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
    const b = buf[i++];
    if (b === 0x5d) break;
    if (b !== 0x2c) return undefined;
  }
  while (i < n && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  return i === n ? out : undefined;
}

/**
 * The keys of a JSON batch body the spec accepts as is (see JsonBatchSpec), in order, repeats included; undefined when
 * it does not (the caller then decodes and validates it itself).
 */
export function batchKeys(body: Buffer, spec: JsonBatchSpec): string[] | undefined {
  let items: unknown;
  try {
    items = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(items) || items.length < 1 || items.length > spec.maxItems) return undefined;
  const keys: string[] = [];
  for (const e of items) {
    if (!hasSpecFields(e, spec) || spec.fallbackTypes.includes((e as Record<string, string>)[spec.typeField] as string)) return undefined;
    keys.push((e as Record<string, string>)[spec.keyField] as string);
  }
  return keys;
}
