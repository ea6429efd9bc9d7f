/**
 * JSON request bodies built without one big string: the write-side twin of ./jsonBody.ts. A 5,000-contact
 * `POST /contacts/import` is 2–4 MB of JSON. `JSON.stringify` returns it as a tree of small parts, but encoding that
 * to bytes (fetch does, for a string body) first flattens it into one string in V8's large-object space, freed only
 * by a full collection; a large sync sends such a body every few minutes, and bench:sync saw the import rounds at its
 * memory highs. Here the top-level object is written member by member and an array member element by element, into
 * UTF-8 chunks of ~32 KB, so every intermediate string is small and dies young; the result is one Buffer (outside the
 * V8 heap, freed with its handle).
 *
 * The bytes are exactly `JSON.stringify(value)`'s for plain data (the unit tests hold the two together). Anything
 * else, a top level that is not a plain object or one with `toJSON`, goes to JSON.stringify as a whole. One
 * difference is documented rather than emulated: a member's own `toJSON(key)` receives `''` instead of its key
 * (Date and every built-in ignore the key; request bodies here are plain data).
 */

/** Characters buffered before they are encoded (well under V8's ~128 KB large-object threshold). */
const CHUNK_CHARS = 32 * 1024;

const hasToJson = (v: object) => typeof (v as { toJSON?: unknown }).toJSON === 'function';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return (proto === Object.prototype || proto === null) && !hasToJson(v);
}

/** UTF-8 bytes of `JSON.stringify(value)`; throws what JSON.stringify throws (cycles, BigInt) and for no JSON at all. */
export function stringifyToBuffer(value: unknown): Buffer {
  if (!isPlainObject(value)) {
    const s = JSON.stringify(value) as string | undefined;
    if (s === undefined) throw new TypeError(`a ${typeof value} has no JSON form`);
    return Buffer.from(s, 'utf8');
  }
  const parts: Buffer[] = [];
  let cur = '';
  const push = (s: string) => {
    cur += s;
    if (cur.length >= CHUNK_CHARS) {
      parts.push(Buffer.from(cur, 'utf8'));
      cur = '';
    }
  };
  push('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (Array.isArray(v) && !hasToJson(v)) {
      push(`${first ? '' : ','}${JSON.stringify(key)}:[`);
      for (let i = 0; i < v.length; i++) {
        // an element with no JSON form (undefined, a function) is written as null, as JSON.stringify does in arrays
        const s = JSON.stringify(v[i]) as string | undefined;
        push(`${i === 0 ? '' : ','}${s ?? 'null'}`);
      }
      push(']');
      first = false;
      continue;
    }
    const s = JSON.stringify(v) as string | undefined;
    // a member with no JSON form is left out, as JSON.stringify does in objects
    if (s === undefined) continue;
    push(`${first ? '' : ','}${JSON.stringify(key)}:${s}`);
    first = false;
  }
  push('}');
  parts.push(Buffer.from(cur, 'utf8'));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
