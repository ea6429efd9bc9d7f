/**
 * Loads tajo.yaml once at the edge: find the file, parse YAML with positions, interpolate `${ENV}`, validate with the
 * strict zod schema (every problem reported at once with its YAML path and line), then deep-freeze.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
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
    if (!existsSync(file)) throw new TajoError('TAJO_CONFIG_NOT_FOUND', `Configuration file not found: ${explicit}`);
    return file;
  }
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

export async function loadConfig(opts: LoadConfigOptions = {}): Promise<{ config: TajoConfig; path?: string }> {
  const file = findConfigFile(opts);
  if (!file) return { config: validate({}, undefined, undefined) };
  return { config: parseConfig(await readFile(file, 'utf8'), { env: opts.env ?? process.env, file }), path: file };
}

/** Parses and validates config text (exported for tests and `tajo config check`). */
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
  interpolateNode(doc.contents, [], opts.env ?? process.env, (path, name, node) =>
    missing.push(withLine({ path: dotted(path), message: `environment variable ${name} is not set` }, lineOf(node.range?.[0]))));
  if (missing.length) {
    throw new TajoError('TAJO_CONFIG_ENV_MISSING', summary('Environment variables referenced by the configuration are not set', missing, where), {
      details: missing,
      hint: 'Export the variables, or give a default: ${NAME:-value}',
    });
  }
  const raw: unknown = doc.toJS() ?? {};
  return validate(raw, doc, lineOf, where);
}

function validate(raw: unknown, doc: Document | undefined, lineOf: ((o: number | undefined) => number | undefined) | undefined, where = ''): TajoConfig {
  const res = ConfigSchema.safeParse(raw);
  if (!res.success) {
    const details = res.error.issues.flatMap((issue) => issueDetails(issue, doc, lineOf));
    details.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.path ?? '').localeCompare(b.path ?? ''));
    throw invalid(details, where);
  }
  // zod hands out shared default objects: clone before freezing so no other parse sees a frozen default.
  return deepFreeze(structuredClone(res.data));
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

/** Substitutes `${VAR}` in string values (never keys), in place; reports unset variables. */
function interpolateNode(node: unknown, path: Path, env: NodeJS.ProcessEnv, onMissing: (path: Path, name: string, node: Node) => void): void {
  if (isMap(node)) {
    for (const pair of node.items) interpolateNode(pair.value, [...path, String(isScalar(pair.key) ? pair.key.value : pair.key)], env, onMissing);
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => interpolateNode(item, [...path, i], env, onMissing));
  } else if (isScalar(node) && typeof node.value === 'string' && hasReference(node.value)) {
    const { value, missing } = interpolate(node.value, env);
    for (const name of missing) onMissing(path, name, node);
    node.value = value;
  }
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
