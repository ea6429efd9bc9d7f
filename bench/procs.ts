/** Child processes of the bench: the connector (JSON lines on stdout) and the emulator's inspection endpoints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ConnectorChild {
  child: ChildProcess;
  /** Resolves with the next line whose `phase` is `phase`. */
  next(phase: string): Promise<Record<string, unknown>>;
  send(line: string): void;
  onProgress(fn: (p: Record<string, unknown>) => void): void;
  stderr(): string;
}

/** `node [nodeArgs] --import tsx bench/connector.ts '<json args>'`. */
export function spawnConnector(args: Record<string, unknown>, nodeArgs: string[] = [], env: Record<string, string> = {}): ConnectorChild {
  const script = fileURLToPath(new URL('./connector.ts', import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-20_000);
  });
  const waiting = new Map<string, (v: Record<string, unknown>) => void>();
  const early = new Map<string, Record<string, unknown>>();
  let progress: ((p: Record<string, unknown>) => void) | undefined;
  const exited = new Promise<never>((_r, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`connector exited (${String(code ?? signal)}): ${err.trim().slice(-2000)}`)));
  });
  exited.catch(() => undefined);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const phase = String(msg.phase);
    if (phase === 'progress') return progress?.(msg);
    const w = waiting.get(phase);
    if (w) {
      waiting.delete(phase);
      w(msg);
    } else early.set(phase, msg);
  });
  return {
    child,
    next: (phase) => {
      const got = early.get(phase);
      if (got) {
        early.delete(phase);
        return Promise.resolve(got);
      }
      return Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.set(phase, resolve)), exited]);
    },
    send: (line) => {
      child.stdin?.write(`${line}\n`);
    },
    onProgress: (fn) => {
      progress = fn;
    },
    stderr: () => err,
  };
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
  return (await res.json()) as T;
}

export interface TwilioLogEntry {
  requests: number;
  rateLimited: number;
  statuses: Record<string, number>;
}

export interface BrevoLog {
  total: number;
  endpoints: Record<string, { total: number; statuses: Record<string, number> }>;
  rateLimited: { total: number; byBucket: Record<string, number>; injected: number };
}

/** after − before, per endpoint (requests and 429s). */
export function diffTwilio(before: Record<string, TwilioLogEntry>, after: Record<string, TwilioLogEntry>): Record<string, { requests: number; rateLimited: number }> {
  const out: Record<string, { requests: number; rateLimited: number }> = {};
  for (const [k, v] of Object.entries(after)) {
    const b = before[k];
    const requests = v.requests - (b?.requests ?? 0);
    if (requests > 0) out[k] = { requests, rateLimited: v.rateLimited - (b?.rateLimited ?? 0) };
  }
  return out;
}

export function diffBrevo(before: BrevoLog, after: BrevoLog): Record<string, { requests: number; rateLimited: number }> {
  const out: Record<string, { requests: number; rateLimited: number }> = {};
  for (const [k, v] of Object.entries(after.endpoints)) {
    const b = before.endpoints[k];
    const requests = v.total - (b?.total ?? 0);
    if (requests > 0) out[k] = { requests, rateLimited: (v.statuses['429'] ?? 0) - (b?.statuses['429'] ?? 0) };
  }
  return out;
}

/** Requests on Brevo's hourly catch-all that were allowed (not 429), from a request log (the emulator's bucket rule). */
export function hourlyUsed(log: BrevoLog): number {
  let n = 0;
  for (const [k, v] of Object.entries(log.endpoints)) {
    const [method, path = ''] = k.split(' ');
    if (path === '/contacts' || path.startsWith('/contacts/')) continue;
    if (method === 'POST' && path === '/events') continue;
    n += v.total - (v.statuses['429'] ?? 0);
  }
  return n;
}
