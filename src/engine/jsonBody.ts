/**
 * JSON response bodies parsed without one big string. A 1,000-event TaskRouter page is ~2 MB of UTF-8; decoded whole
 * it is a 2–4 MB string in V8's large-object space, alive while JSON.parse allocates the page's objects (so it
 * survives a scavenge) and then freed only by a full collection. A large sync reads such a page every few hundred
 * ms, and bench:sync saw 10–15 MB of dead page bodies in large-object space at its memory highs.
 *
 * A large body whose top level is an object (every Twilio and Brevo list response) is therefore split at its
 * structural bytes instead: each member's value is parsed on its own, and an array value element by element, each
 * from a small string that dies young. Splitting only happens at ASCII bytes outside strings (`{ } [ ] , : "`), never
 * inside a multi-byte UTF-8 sequence, so every piece decodes exactly as it would inside the whole. Anything the
 * splitter does not recognise (a top-level array, a syntax error) goes to plain JSON.parse, which decides: the result,
 * or the error, is always JSON.parse's.
 */

/** Bodies from this size on are split (V8 puts strings above ~128 KB in large-object space). */
export const SPLIT_FROM_BYTES = 128 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The splitter met something it does not handle: plain JSON.parse takes over. */
class NotSplittable extends Error {}

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** JSON.parse of a UTF-8 body (throws JSON.parse's SyntaxError); large object bodies are parsed piece by piece. */
export function parseJsonBuffer(buf: Buffer): unknown {
  if (buf.length >= SPLIT_FROM_BYTES) {
    try {
      return new Splitter(buf).document();
    } catch (err) {
      if (!(err instanceof NotSplittable) && !(err instanceof SyntaxError)) throw err;
    }
  }
  return JSON.parse(buf.toString('utf8')) as unknown;
}

/** The index just after the string that opens at `start` (escapes skipped). */
function endOfString(buf: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    const b = buf[i];
    if (b === undefined) throw new NotSplittable();
    if (b === BACKSLASH) i += 2;
    else if (b === QUOTE) return i + 1;
    else i++;
  }
}

class Splitter {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  document(): Record<string, unknown> {
    this.skipSpace();
    if (this.buf[this.pos] !== OPEN_OBJECT) throw new NotSplittable();
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.buf[this.pos] === CLOSE_OBJECT) this.pos++;
    else {
      for (;;) {
        this.skipSpace();
        if (this.buf[this.pos] !== QUOTE) throw new NotSplittable();
        const keyStart = this.pos;
        this.skipString();
        const key = this.parse(keyStart, this.pos);
        if (typeof key !== 'string') throw new NotSplittable();
        this.skipSpace();
        if (this.buf[this.pos] !== COLON) throw new NotSplittable();
        this.pos++;
        this.skipSpace();
        const value = this.buf[this.pos] === OPEN_ARRAY ? this.array() : this.value();
        // as JSON.parse: an own property even for "__proto__", the last duplicate wins, insertion order kept
        Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
        this.skipSpace();
        const b = this.buf[this.pos++];
        if (b === CLOSE_OBJECT) break;
        if (b !== COMMA) throw new NotSplittable();
      }
    }
    this.skipSpace();
    if (this.pos !== this.buf.length) throw new NotSplittable();
    return out;
  }

  /** An array value, each element parsed on its own. */
  private array(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.buf[this.pos] === CLOSE_ARRAY) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      out.push(this.value());
      this.skipSpace();
      const b = this.buf[this.pos++];
      if (b === CLOSE_ARRAY) return out;
      if (b !== COMMA) throw new NotSplittable();
    }
  }

  /** One complete value from `pos`, parsed by JSON.parse. */
  private value(): unknown {
    const start = this.pos;
    this.skipValue();
    return this.parse(start, this.pos);
  }

  /** From the first byte of a value to just after it. */
  private skipValue(): void {
    const start = this.pos;
    const b = this.buf[start];
    if (b === QUOTE) this.skipString();
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.skipNested();
    else this.skipScalar();
    if (this.pos === start) throw new NotSplittable();
  }

  private parse(start: number, end: number): unknown {
    return JSON.parse(this.buf.toString('utf8', start, end)) as unknown;
  }

  private skipSpace(): void {
    while (isSpace(this.buf[this.pos])) this.pos++;
  }

  /** From an opening quote to just after its closing quote. */
  private skipString(): void {
    this.pos = endOfString(this.buf, this.pos);
  }

  /** From `{` or `[` to just after the bracket that closes it (strings skipped, so brackets inside them don't count). */
  private skipNested(): void {
    const buf = this.buf;
    let depth = 0;
    let i = this.pos;
    for (;;) {
      const b = buf[i];
      if (b === undefined) throw new NotSplittable();
      if (b === QUOTE) {
        i = endOfString(buf, i);
        continue;
      }
      if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) break;
      }
      i++;
    }
    this.pos = i + 1;
  }

  /** A number, true, false or null: up to the next structural byte or space. */
  private skipScalar(): void {
    const buf = this.buf;
    let i = this.pos;
    for (;;) {
      const b = buf[i];
      if (b === undefined || b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || isSpace(b)) break;
      i++;
    }
    this.pos = i;
  }
}
