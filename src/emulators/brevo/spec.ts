import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { applyBrevoOverrides, toJsonSchema } from './specOverrides.js';

type Json = Record<string, unknown>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const SPEC_RELATIVE = join('specs', 'brevo', 'swagger_definition_v3.yml');
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

/** Locate `specs/brevo/swagger_definition_v3.yml` by walking up from this module (works from `src/` and `dist/`). */
export function findBrevoSpecFile(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, SPEC_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`Brevo emulator: ${SPEC_RELATIVE} not found above ${start}`);
    dir = up;
  }
}

export interface ParamSpec {
  name: string;
  in: string;
  required: boolean;
  schema: Json;
}

export interface OperationSpec {
  method: string;
  template: string;
  operationId?: string;
  params: ParamSpec[];
  requestSchema?: Json;
  /** Status → JSON schema of the body, or null when the response has no body. */
  responses: Record<string, Json | null>;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function newAjv(coerce: boolean, components: Json): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: coerce, useDefaults: false, validateFormats: true });
  addFormats(ajv);
  // OpenAPI/Brevo format names that are annotations only
  for (const f of ['int64', 'int32', 'int16', 'int', 'in64', 'integer', 'float', 'float64', 'double', 'binary', 'byte', 'password', 'mobile', 'objectID', 'string', 'datetime', 'uuidv4']) {
    ajv.addFormat(f, true);
  }
  ajv.addFormat('url', (s: string) => URL.canParse(s));
  // the spec is not meta-validated (slow on 800 KB, and OpenAPI keywords are not draft-07 anyway)
  ajv.addSchema({ components }, 'brevo', undefined, false);
  return ajv;
}

/** The Brevo OpenAPI spec (with the documented overrides) compiled on demand with ajv. */
export class BrevoSpec {
  private static cache = new Map<string, BrevoSpec>();
  private readonly ops = new Map<string, OperationSpec>();
  private readonly strict: Ajv;
  private readonly coercing: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(readonly file: string, doc: Json) {
    const converted = toJsonSchema(doc) as Json;
    const components = converted.components as Json;
    this.strict = newAjv(false, components);
    this.coercing = newAjv(true, components);
    const responses = (components.responses ?? {}) as Json;
    for (const [template, item] of Object.entries(converted.paths as Json)) {
      if (!isObj(item)) continue;
      const shared = Array.isArray(item.parameters) ? (item.parameters as Json[]) : [];
      for (const m of METHODS) {
        const op = item[m];
        if (!isObj(op)) continue;
        const params = [...shared, ...(Array.isArray(op.parameters) ? (op.parameters as Json[]) : [])].map((p) => ({
          name: String(p.name),
          in: String(p.in),
          required: p.required === true,
          schema: isObj(p.schema) ? p.schema : {},
        }));
        const body = isObj(op.requestBody) ? bodySchema(op.requestBody) : undefined;
        const resp: Record<string, Json | null> = {};
        for (const [status, r0] of Object.entries(isObj(op.responses) ? op.responses : {})) {
          let r = r0 as Json;
          if (typeof r.$ref === 'string') r = responses[r.$ref.split('/').pop() ?? ''] as Json;
          resp[status] = bodySchema(r) ?? null;
        }
        this.ops.set(`${m.toUpperCase()} ${template}`, {
          method: m.toUpperCase(),
          template,
          ...(typeof op.operationId === 'string' ? { operationId: op.operationId } : {}),
          params,
          ...(body ? { requestSchema: body } : {}),
          responses: resp,
        });
      }
    }
  }

  /** Parse (once per process and file; see readSpecDocument) and compile lazily. */
  static load(file: string = findBrevoSpecFile()): BrevoSpec {
    let s = BrevoSpec.cache.get(file);
    if (!s) {
      const doc = readSpecDocument(file);
      applyBrevoOverrides(doc);
      s = new BrevoSpec(file, doc);
      BrevoSpec.cache.set(file, s);
    }
    return s;
  }

  operation(method: string, template: string): OperationSpec | undefined {
    return this.ops.get(`${method.toUpperCase()} ${template}`);
  }

  operations(): OperationSpec[] {
    return [...this.ops.values()];
  }

  private compile(key: string, ajv: Ajv, schema: Json): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      v = ajv.compile(schema);
      this.compiled.set(key, v);
    }
    return v;
  }

  /** Validator of the request body, or undefined when the operation takes none. */
  requestValidator(method: string, template: string): ValidateFunction | undefined {
    const op = this.operation(method, template);
    if (!op?.requestSchema) return undefined;
    return this.compile(`req ${method} ${template}`, this.strict, op.requestSchema);
  }

  /** Validator (with type coercion) of `{...path params, ...query params}`. */
  paramsValidator(method: string, template: string): ValidateFunction | undefined {
    const op = this.operation(method, template);
    if (!op) return undefined;
    const ps = op.params.filter((p) => p.in === 'query' || p.in === 'path');
    const schema: Json = {
      type: 'object',
      properties: Object.fromEntries(ps.map((p) => [p.name, p.schema])),
      required: ps.filter((p) => p.required).map((p) => p.name),
    };
    return this.compile(`params ${method} ${template}`, this.coercing, schema);
  }

  /** Names of array-typed query parameters (sent comma-separated). */
  arrayParams(method: string, template: string): string[] {
    return (this.operation(method, template)?.params ?? []).filter((p) => p.schema.type === 'array').map((p) => p.name);
  }

  /**
   * Validator for a response body: a function, `null` when the documented response has no body, `undefined` when
   * the status is not documented. 401, 429 and 5xx fall back to `errorModel` on every operation (OVERRIDES.md).
   */
  responseValidator(method: string, template: string, status: number): ValidateFunction | null | undefined {
    const op = this.operation(method, template);
    if (!op) return undefined;
    let schema = op.responses[String(status)];
    if (schema === undefined && (status === 401 || status === 429 || status >= 500)) schema = { $ref: 'brevo#/components/schemas/errorModel' };
    if (schema === undefined) return undefined;
    if (schema === null) return null;
    return this.compile(`res ${method} ${template} ${status}`, this.strict, schema);
  }

  /** Validator for a named component schema (e.g. `event` for batch items). */
  componentValidator(name: string): ValidateFunction {
    return this.compile(`component ${name}`, this.strict, { $ref: `brevo#/components/schemas/${name}` });
  }
}

/**
 * Parse the YAML spec. Parsing 860 KB of YAML takes 1-3 s, so the parsed document is cached as JSON in the OS temp
 * directory, keyed by the file's sha256 (a changed spec file is never served from a stale cache).
 */
function readSpecDocument(file: string): Json {
  const text = readFileSync(file, 'utf8');
  const sha = createHash('sha256').update(text).digest('hex');
  const cache = join(tmpdir(), `tajo-brevo-spec-${sha.slice(0, 24)}.json`);
  try {
    if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as Json;
  } catch {
    // unreadable cache: parse the YAML
  }
  const doc = parse(text) as Json;
  try {
    const tmp = `${cache}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(doc));
    renameSync(tmp, cache);
  } catch {
    // best effort
  }
  return doc;
}

function bodySchema(holder: Json | undefined): Json | undefined {
  const content = holder?.content;
  if (!isObj(content)) return undefined;
  const media = content['application/json'] ?? Object.values(content)[0];
  return isObj(media) && isObj(media.schema) ? media.schema : undefined;
}
