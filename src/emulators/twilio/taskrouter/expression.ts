import { HttpError } from '../errors.js';

/**
 * A subset of TaskRouter's expression language (EvaluateTaskAttributes / TargetWorkersExpression), compiled to
 * SQLite over a JSON-string column: `a.b == "x"`, `!=`, `<`, `<=`, `>`, `>=`, `IN [..]`, `NOT IN [..]`,
 * `HAS "x"`, `CONTAINS "x"`, `AND`/`OR` (any case, also `&&`/`||`), parentheses, and `1==1`.
 * Attributes that are not valid JSON never match.
 */
type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'lb' | 'rb' | 'comma'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(==|!=|<=|>=|<|>|&&|\|\|)|(\()|(\))|(\[)|(\])|(,)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w.-]*))/y;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new HttpError(400, 20001, `Invalid expression: ${s}`);
    pos = re.lastIndex;
    if (m[1]) out.push({ t: 'op', v: m[1] === '&&' ? 'AND' : m[1] === '||' ? 'OR' : m[1] });
    else if (m[2]) out.push({ t: 'lp', v: '(' });
    else if (m[3]) out.push({ t: 'rp', v: ')' });
    else if (m[4]) out.push({ t: 'lb', v: '[' });
    else if (m[5]) out.push({ t: 'rb', v: ']' });
    else if (m[6]) out.push({ t: 'comma', v: ',' });
    else if (m[7] !== undefined) out.push({ t: 'str', v: m[7] });
    else if (m[8] !== undefined) out.push({ t: 'str', v: m[8] });
    else if (m[9] !== undefined) out.push({ t: 'num', v: m[9] });
    else if (m[10] !== undefined) {
      const up = m[10].toUpperCase();
      out.push(['AND', 'OR', 'IN', 'NOT', 'HAS', 'CONTAINS'].includes(up) ? { t: 'op', v: up } : { t: 'id', v: m[10] });
    }
  }
  return out;
}

export interface CompiledExpr {
  sql: string;
  params: unknown[];
}

export function compileExpression(expr: string, column: string): CompiledExpr {
  const toks = tokenize(expr);
  let i = 0;
  const params: unknown[] = [];
  const fail = (): never => {
    throw new HttpError(400, 20001, `Invalid expression: ${expr}`);
  };
  const peek = (): Tok | undefined => toks[i];
  const next = (): Tok => toks[i++] ?? fail();
  const value = (): unknown => {
    const t = next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'id' && (t.v === 'true' || t.v === 'false')) return t.v === 'true' ? 1 : 0;
    return fail();
  };
  const path = (id: string): string => `'$.${id.replace(/'/g, "''")}'`;
  const extract = (id: string): string => `(CASE WHEN json_valid(${column}) THEN json_extract(${column}, ${path(id)}) END)`;
  const list = (): unknown[] => {
    if (next().t !== 'lb') fail();
    const vals: unknown[] = [];
    while (peek()?.t !== 'rb') {
      vals.push(value());
      if (peek()?.t === 'comma') i++;
    }
    i++;
    return vals;
  };
  const operand = (): { sql: string; id?: string } => {
    const t = next();
    if (t.t === 'id') return { sql: extract(t.v), id: t.v };
    if (t.t === 'num') {
      params.push(Number(t.v));
      return { sql: '?' };
    }
    if (t.t === 'str') {
      params.push(t.v);
      return { sql: '?' };
    }
    return fail();
  };
  const comparison = (): string => {
    if (peek()?.t === 'lp') {
      i++;
      const inner = disjunction();
      if (next().t !== 'rp') fail();
      return `(${inner})`;
    }
    const left = operand();
    const op = next();
    if (op.t !== 'op') fail();
    if (op.v === 'HAS' || op.v === 'CONTAINS') {
      if (!left.id) fail();
      const v = value();
      params.push(v);
      return op.v === 'HAS'
        ? `(CASE WHEN json_valid(${column}) AND json_type(${column}, ${path(left.id ?? '')}) = 'array' THEN EXISTS (SELECT 1 FROM json_each(${column}, ${path(left.id ?? '')}) j WHERE j.value = ?) ELSE 0 END)`
        : `(instr(${left.sql}, ?) > 0)`;
    }
    if (op.v === 'IN' || op.v === 'NOT') {
      if (op.v === 'NOT' && next().v !== 'IN') fail();
      const vals = list();
      params.push(...vals);
      return `(${left.sql} ${op.v === 'NOT' ? 'NOT IN' : 'IN'} (${vals.map(() => '?').join(', ') || 'NULL'}))`;
    }
    if (!['==', '!=', '<', '<=', '>', '>='].includes(op.v)) fail();
    const right = operand();
    return `(${left.sql} ${op.v === '==' ? '=' : op.v} ${right.sql})`;
  };
  const conjunction = (): string => {
    const parts = [comparison()];
    while (peek()?.v === 'AND') {
      i++;
      parts.push(comparison());
    }
    return parts.join(' AND ');
  };
  const disjunction = (): string => {
    const parts = [conjunction()];
    while (peek()?.v === 'OR') {
      i++;
      parts.push(conjunction());
    }
    return parts.length > 1 ? `(${parts.join(' OR ')})` : (parts[0] ?? fail());
  };
  const sql = disjunction();
  if (i !== toks.length) fail();
  return { sql: `COALESCE(${sql}, 0)`, params };
}
