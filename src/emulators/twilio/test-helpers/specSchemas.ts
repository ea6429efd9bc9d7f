import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Response-schema validators from the Twilio OpenAPI specs in `specs/twilio/` (tests only). OpenAPI 3.0
 * `nullable` becomes a JSON-schema type union. In strict mode every property the spec lists must be present
 * and no other property may appear, so a response has exactly the spec's shape.
 */
type Json = Record<string, unknown>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function convert(node: unknown, strict: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => convert(n, strict));
  if (!node || typeof node !== 'object') return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'nullable' || k === 'example' || k === 'examples' || k === 'x-twilio') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, convert(s, strict)])) : convert(v, strict);
  }
  if (src.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    if (out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
  }
  if (strict && out.properties && typeof out.properties === 'object') {
    out.required = Object.keys(out.properties as Json);
    out.additionalProperties = false;
  }
  return out;
}

export class SpecValidators {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly specs = new Map<string, Json>();
  private readonly cache = new Map<string, ValidateFunction>();
  private seq = 0;

  constructor(private readonly specDir: string) {
    addFormats(this.ajv);
    this.ajv.addFormat('uri-map', true);
    this.ajv.addFormat('int64', true);
    this.ajv.addFormat('phone-number', true);
  }

  private spec(name: string): Json {
    let s = this.specs.get(name);
    if (!s) {
      s = JSON.parse(readFileSync(`${this.specDir}/twilio_${name}.json`, 'utf8')) as Json;
      this.specs.set(name, s);
    }
    return s;
  }

  /** Validator of `paths[path][method].responses[status]` (application/json). */
  validator(spec: string, path: string, method: string, status: number, strict = true): ValidateFunction {
    const key = `${spec} ${method} ${path} ${status} ${strict}`;
    let v = this.cache.get(key);
    if (!v) {
      const s = this.spec(spec);
      const op = ((s.paths as Json)[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
      if (!op) throw new Error(`no ${method} ${path} in ${spec}`);
      const res = (op.responses as Json)[String(status)] as Json | undefined;
      const schema = ((res?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema;
      if (!schema) throw new Error(`no ${status} schema for ${method} ${path} in ${spec}`);
      const components = convert(s.components, strict) as Json;
      v = this.ajv.compile({ $id: `https://specs.invalid/twilio/${(this.seq += 1)}.json`, ...(convert(schema, strict) as Json), components });
      this.cache.set(key, v);
    }
    return v;
  }
}
