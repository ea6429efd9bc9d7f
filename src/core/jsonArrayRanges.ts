/** Element boundaries of a JSON array body, for storing each element as the bytes it arrived as. */

/**
 * The byte ranges (`[start, end)`) of the elements of a body whose top level is a JSON array, or undefined when it is
 * not one (an object, a syntax the scanner does not follow). Ranges start and end at ASCII structural bytes, so each
 * decodes to exactly the element's text as sent (an Event Streams batch's CloudEvents are stored as received instead
 * of re-serialised). The scanner does not validate: call it on a body JSON.parse accepted.
 */
export function arrayElementRanges(buf: Uint8Array): [number, number][] | undefined {
  // Self-contained — no module-level names and no inner functions (which transpilers wrap in helpers such as esbuild's
  // `__name`): the SQLite inbox writer thread runs this same function from its source text (src/store/sqlite/
  // inboxWriter.ts). One tight loop, as it runs on every Event Streams delivery: strings are skipped inline, nesting is
  // a depth count. Bytes: " 0x22, \\ 0x5c, , 0x2c, { 0x7b, } 0x7d, [ 0x5b, ] 0x5d; space 0x20, \n 0x0a, \r 0x0d, \t 0x09.
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
