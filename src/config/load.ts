/**
 * Loads tajo.yaml once at the edge: find the file, parse YAML with positions, interpolate `${ENV}`, validate with the
 * strict zod schema (every problem reported at once with its YAML path and line), then deep-freeze.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';
import type { $ZodIssue } from 'zod/v4/core';
import { TajoError, type ErrorDetail } from '../core/errors.js';
import { hasReference, interpolate } from './interpolate.js';
import { ConfigSchema, type TajoConfig } from './schema.js';

export { redactConfig, REDACTED } from './redact.js';

export const DEFAULT_CONFIG_FILE = 'tajo.yaml';

export interface LoadConfigOptions {
  /** `--config PATH`. */
  path?: string | undefined;
  /** Default `process.env` (`TAJO_CONFIG` and `${VAR}` interpolation). */
  env?: NodeJS.ProcessEnv;
  /** Default `process.cwd()`. */
  cwd?: string;
}

type Path = (string | number)[];

/** `--config`, else `TAJO_CONFIG`, else `./tajo.yaml` when present, else none (defaults only). */
export function findConfigFile(opts: LoadConfigOptions = {}): string | undefined {
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.path?.trim() || (opts.env ?? process.env).TAJO_CONFIG?.trim();
  if (explicit) {
    const file = resolve(cwd, explicit);
    const kind = fileKind(file);
    if (kind === 'missing') throw new TajoError('TAJO_CONFIG_NOT_FOUND', `Configuration file not found: ${explicit}`, { hint: 'check --config / TAJO_CONFIG (relative paths start from the current directory)' });
    if (kind === 'dir') throw notAFile(explicit);
    return file;
  }
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  const kind = fileKind(fallback);
  if (kind === 'dir') throw notAFile(`./${DEFAULT_CONFIG_FILE}`);
  return kind === 'file' ? fallback : undefined;
}

function fileKind(file: string): 'file' | 'dir' | 'missing' {
  try {
    return statSync(file).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

const notAFile = (shown: string) =>
  new TajoError('TAJO_CONFIG_NOT_FOUND', `Configuration path is a directory, not a file: ${shown}`, { hint: `pass the YAML file itself, e.g. --config ${shown.replace(/\/+$/, '')}/${DEFAULT_CONFIG_FILE}` });

export async function loadConfig(opts: LoadConfigOptions = {}): Promise<{ config: TajoConfig; path?: string }> {
  const file = findConfigFile(opts);
  if (!file) return { config: validate({}, undefined, undefined) };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new TajoError('TAJO_CONFIG_NOT_FOUND', `Configuration file cannot be read (${code}): ${file}`, { cause: err, hint: 'check the file exists and that this user may read it' });
  }
  return { config: parseConfig(text, { env: opts.env ?? process.env, file }), path: file };
}

/**
 * Parses and validates config text (exported for tests and `tajo config check`). With `file`, relative paths in the
 * config (`store.url: sqlite:foo.db`, as `data_dir`) are relative to that file's directory.
 */
export function parseConfig(text: string, opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): TajoConfig {
  const where = opts.file ? ` in ${opts.file}` : '';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? undefined : lines.linePos(offset).line);
  if (doc.errors.length) {
    const details = doc.errors.map((e) => withLine({ message: e.message.split('\n')[0] ?? e.message }, lineOf(e.pos[0])));
    throw invalid(details, where);
  }
  const missing: ErrorDetail[] = [];
  const retyped: Retyped[] = [];
  const emptied: Path[] = [];
  interpolateNode(doc.contents, [], opts.env ?? process.env, (path, name, node) =>
    missing.push(withLine({ path: dotted(path), message: `environment variable ${name} is not set` }, lineOf(node.range?.[0]))), retyped, emptied);
  if (missing.length) {
    throw new TajoError('TAJO_CONFIG_ENV_MISSING', summary('Environment variables referenced by the configuration are not set', missing, where), {
      details: missing,
      hint: 'Export the variables, or give a default: ${NAME:-value}',
    });
  }
  const raw: unknown = doc.toJS() ?? {};
  dropUnset(raw, [], new Set(emptied.map(dotted)));
  return validate(raw, doc, lineOf, where, retyped, opts.file ? dirname(resolve(opts.file)) : undefined);
}

/** Where a map value may not be left empty: a record path mapped to nothing is a mistake, not "unset". */
const KEEP_EMPTY = new Set(['connectors.twilio_flex.field_mapping']);

/**
 * A key whose value is empty is not set, so its default (or nothing) applies: a YAML null (`lists:` whose entries are
 * commented out, `workspace_sid:`, `~`) or a value that is one `${…}` reference and came out empty
 * (`workspace_sid: ${TWILIO_WORKSPACE_SID:-}`, the way to take an optional setting from the environment). Without
 * this, such a key failed as a wrong type (or an empty secret), although it was optional.
 */
function dropUnset(node: unknown, path: Path, emptied: ReadonlySet<string>): void {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return;
  const obj = node as Record<string, unknown>;
  const keep = KEEP_EMPTY.has(dotted(path));
  for (const [key, value] of Object.entries(obj)) {
    const at = [...path, key];
    if (!keep && (value === null || (value === '' && emptied.has(dotted(at))))) delete obj[key];
    else dropUnset(value, at, emptied);
  }
}

/** A plain scalar that was one `${…}` reference, re-read as a YAML scalar (number, boolean, null): its text. */
interface Retyped {
  path: Path;
  text: string;
}

function validate(
  raw: unknown,
  doc: Document | undefined,
  lineOf: ((o: number | undefined) => number | undefined) | undefined,
  where = '',
  retyped: readonly Retyped[] = [],
  baseDir?: string,
): TajoConfig {
  let res = ConfigSchema.safeParse(raw);
  if (!res.success && retyped.length) {
    // A re-read value where the schema wants a string (a secret of digits, `${X:-}`) stays the text it was.
    let reverted = false;
    for (const issue of res.error.issues) {
      if (issue.code !== 'invalid_type' || issue.expected !== 'string') continue;
      const r = retyped.find((x) => dotted(x.path) === dotted(issue.path.filter((p): p is string | number => typeof p !== 'symbol')));
      if (r && setIn(raw, r.path, r.text)) reverted = true;
    }
    if (reverted) res = ConfigSchema.safeParse(raw);
  }
  if (!res.success) {
    const details = res.error.issues.flatMap((issue) => issueDetails(issue, doc, lineOf));
    details.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.path ?? '').localeCompare(b.path ?? ''));
    throw invalid(details, where);
  }
  const config = res.data;
  if (baseDir && config.store.url) config.store.url = resolveStoreUrl(config.store.url, baseDir);
  // zod hands out shared default objects: clone before freezing so no other parse sees a frozen default.
  return deepFreeze(structuredClone(config));
}

/** `sqlite:<file>` / `file:<file>` with a relative file: that file under `baseDir` (the config file's directory). */
export function resolveStoreUrl(url: string, baseDir: string): string {
  const m = /^(sqlite|file):(\/\/)?(.+)$/i.exec(url.trim());
  const file = m?.[3];
  if (!m || !file || file === ':memory:' || isAbsolute(file)) return url;
  return `${m[1]!}:${resolve(baseDir, file)}`;
}

function setIn(root: unknown, path: Path, value: unknown): boolean {
  let node = root;
  for (const p of path.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[p] : undefined;
  if (!node || typeof node !== 'object') return false;
  (node as Record<string | number, unknown>)[path[path.length - 1]!] = value;
  return true;
}

function issueDetails(issue: $ZodIssue, doc: Document | undefined, lineOf?: (o: number | undefined) => number | undefined): ErrorDetail[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      withLine({ path: dotted([...path, key]), message: 'unknown key' }, lineOf?.(keyNode(doc, path, key)?.range?.[0])));
  }
  return [withLine({ path: dotted(path), message: issue.message }, lineOf?.(nearestNode(doc, path)?.range?.[0]))];
}

function invalid(details: ErrorDetail[], where: string): TajoError {
  return new TajoError('TAJO_CONFIG_INVALID', summary('Configuration is invalid', details, where), { details });
}

function summary(head: string, details: ErrorDetail[], where: string): string {
  const list = details.map((d) => `  - ${d.line !== undefined ? `line ${d.line}: ` : ''}${d.path ? `${d.path}: ` : ''}${d.message}`);
  return [`${head}${where} (${details.length} problem${details.length === 1 ? '' : 's'}):`, ...list].join('\n');
}

const withLine = (d: ErrorDetail, line: number | undefined): ErrorDetail => (line === undefined ? d : { ...d, line });

export const dotted = (path: Path): string => path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');

/** A whole scalar that is exactly one reference: `${PORT}`, `${PORT:-8787}`. */
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/**
 * Substitutes `${VAR}` in string values (never keys), in place; reports unset variables. A plain (unquoted) scalar
 * that is one reference is then read as the YAML scalar its value spells (`port: ${PORT:-8787}` is a number,
 * `debug: ${DEBUG:-false}` a boolean), as if written in the file; quote it to keep a string.
 */
function interpolateNode(node: unknown, path: Path, env: NodeJS.ProcessEnv, onMissing: (path: Path, name: string, node: Node) => void, retyped: Retyped[], emptied: Path[]): void {
  if (isMap(node)) {
    for (const pair of node.items) interpolateNode(pair.value, [...path, String(isScalar(pair.key) ? pair.key.value : pair.key)], env, onMissing, retyped, emptied);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => interpolateNode(item, [...path, i], env, onMissing, retyped, emptied));
  } else if (isScalar(node) && typeof node.value === 'string' && hasReference(node.value)) {
    const oneReference = WHOLE_REFERENCE.test(node.value.trim());
    const whole = node.type === Scalar.PLAIN && oneReference;
    const { value, missing } = interpolate(node.value, env);
    for (const name of missing) onMissing(path, name, node);
    node.value = value;
    if (oneReference && missing.length === 0 && value === '') emptied.push(path);
    if (whole && missing.length === 0) {
      const typed = yamlScalar(value);
      if (typed.ok && typeof typed.value !== 'string') {
        node.value = typed.value;
        retyped.push({ path, text: value });
      }
    }
  }
}

/** `value` read as one YAML scalar, or not ok when it is anything else (a map, a list, several documents, an error). */
function yamlScalar(value: string): { ok: true; value: unknown } | { ok: false } {
  if (value.includes('\n')) return { ok: false };
  const doc = parseDocument(value);
  if (doc.errors.length || doc.warnings.length) return { ok: false };
  if (doc.contents === null) return { ok: true, value: null };
  return isScalar(doc.contents) ? { ok: true, value: doc.contents.value } : { ok: false };
}

/** The YAML node at `path`, else its nearest existing ancestor (a missing key is reported where its parent is). */
function nearestNode(doc: Document | undefined, path: Path): Node | undefined {
  if (!doc) return undefined;
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (node && typeof node === 'object' && 'range' in node) return node as Node;
  }
  return doc.contents ?? undefined;
}

function keyNode(doc: Document | undefined, path: Path, key: string): Node | undefined {
  const parent = path.length ? doc?.getIn(path, true) : doc?.contents;
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return nearestNode(doc, path);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
