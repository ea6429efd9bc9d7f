import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerBrevoEmulator, type BrevoEmulator, type BrevoLimitsConfig } from './brevo/index.js';
import { EmulatorClock } from './common/clock.js';
import { FaultFileSchema, FaultInjector, type FaultFile } from './common/faults.js';
import { computeTruth } from './generator/compute.js';
import { generateMore as genMore, generateWorld, type GeneratorOptions, type GroundTruth, type Scale } from './generator/index.js';
import { getState } from './generator/model.js';
import { registerTwilioEmulator, type TwilioEmulator, type TwilioLimits } from './twilio/index.js';
import { metaValue } from './twilio/world.js';

export interface StartEmulatorOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** World seed. When given, the credentials are derived from it too; otherwise they are random per run. */
  seed?: number;
  /** Default `small`. `large` worlds live in a temporary file unless `worldPath` is set. */
  scale?: Scale;
  /** Emulated seconds per real second (default 1). */
  timeScale?: number;
  /** Emulated "now" at start (ISO string or epoch ms; default: real now). Ignored when an existing world file is reused. */
  now?: string | number;
  faults?: FaultFile;
  /** SQLite file for the world. An existing generated world in it is reused as is. */
  worldPath?: string;
  generator?: Partial<GeneratorOptions>;
  brevo?: { limits?: Partial<BrevoLimitsConfig>; createContactOnUnknownEvent?: boolean; importDelayMs?: number };
  twilio?: { limits?: Partial<TwilioLimits>; taskRetentionMs?: number; eventRetentionMs?: number };
}

/** What clients need to reach the emulated vendors (`GET /_emulator/info`). Credentials are throwaway. */
export interface EmulatorInfo {
  twilio: { flex: string; conversations: string; taskrouter: string; events: string };
  brevo: string;
  accountSid: string;
  authToken: string;
  apiKeySid: string;
  apiKeySecret: string;
  flexFlowSid: string;
  workspaceSid: string;
  brevoApiKey: string;
}

export interface RunningEmulator {
  info: EmulatorInfo;
  url: string;
  close(): Promise<void>;
  clock: EmulatorClock;
  faults: FaultInjector;
  world: Database.Database;
  truth(): GroundTruth;
  generateMore(count: number): GroundTruth;
  brevo: BrevoEmulator;
  twilio: TwilioEmulator;
  app: FastifyInstance;
}

interface Secrets { authToken: string; apiKeySid: string; apiKeySecret: string; brevoApiKey: string }

function randomSecrets(): Secrets {
  const alnum = (n: number): string => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);
  return {
    authToken: randomBytes(16).toString('hex'),
    apiKeySid: `SK${randomBytes(16).toString('hex')}`,
    apiKeySecret: alnum(32),
    brevoApiKey: `xkeysib-${randomBytes(32).toString('hex')}-${alnum(16)}`,
  };
}

function parseNow(now: string | number | undefined): number {
  if (now === undefined) return Date.now();
  // a date-time without a zone is UTC, as for every date Tajo's CLI takes (Date.parse would read it in this machine's zone)
  const text = typeof now === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(now.trim()) ? `${now.trim().replace(' ', 'T')}Z` : now;
  const t = typeof text === 'number' ? text : /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new RangeError(`invalid now: ${String(now)}`);
  return t;
}

/** Opens (or creates) the world and returns it with its ground truth. */
function openWorld(opts: StartEmulatorOptions, seed: number, requestedNow: number): { db: Database.Database; nowMs: number; truth: GroundTruth; tempPath: string | null } {
  const scale = opts.scale ?? 'small';
  const tempPath = !opts.worldPath && scale === 'large' ? join(tmpdir(), `tajo-world-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`) : null;
  const db = new Database(opts.worldPath ?? tempPath ?? ':memory:');
  if (opts.worldPath ?? tempPath) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  const existing = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() as unknown) !== undefined && metaValue(db, 'workspace_sid');
  if (existing) {
    const nowMs = Number(metaValue(db, 'now_ms') ?? getState(db, 'now_ms') ?? requestedNow);
    const o = JSON.parse(getState(db, 'options') ?? '{}') as GeneratorOptions;
    return { db, nowMs, truth: computeTruth(db, nowMs, { truthEvents: o.truthEvents, serviceLevelSeconds: o.serviceLevelSeconds, queues: o.queues }), tempPath };
  }
  const truth = generateWorld(db, { seed, scale, nowMs: requestedNow, ...(opts.generator ? { options: opts.generator } : {}) });
  return { db, nowMs: requestedNow, truth, tempPath };
}

/** The emulated time one `generateMore` batch plays out in (the clock moves on by about this much). */
export const GENERATE_WINDOW_MS = 15 * 60_000;

/** The latest moment anything happened in the world. */
function latestActivityMs(db: Database.Database): number {
  const q = (sql: string): number => Number((db.prepare(sql).get() as { m: number | null }).m ?? 0);
  return Math.max(
    q('SELECT MAX(event_date_ms) AS m FROM events'),
    q('SELECT MAX(date_created_ms) AS m FROM messages'),
    q('SELECT MAX(MAX(date_created_ms, COALESCE(date_inactive_ms, 0), COALESCE(date_closed_ms, 0))) AS m FROM conversations'),
  );
}

/** Starts Twilio + Brevo on one port, over a generated world. */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const seed = opts.seed ?? 1;
  const world = openWorld(opts, seed, parseNow(opts.now));
  const db = world.db;
  const clock = new EmulatorClock(world.nowMs, opts.timeScale ?? 1);
  const faults = new FaultInjector(world.nowMs, opts.faults ? FaultFileSchema.parse(opts.faults) : undefined);
  const meta = (k: Parameters<typeof metaValue>[1]): string => metaValue(db, k) ?? '';
  const secrets: Secrets =
    opts.seed !== undefined && meta('auth_token')
      ? { authToken: meta('auth_token'), apiKeySid: meta('api_key_sid'), apiKeySecret: meta('api_key_secret'), brevoApiKey: meta('brevo_api_key') }
      : randomSecrets();
  const accountSid = meta('account_sid');

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 32 * 1024 * 1024 });
  const twilio = registerTwilioEmulator(app, {
    world: db,
    clock,
    faults,
    credentials: { accountSid, authToken: secrets.authToken, apiKeySid: secrets.apiKeySid, apiKeySecret: secrets.apiKeySecret },
    ...(opts.twilio?.limits ? { limits: opts.twilio.limits } : {}),
    ...(opts.twilio?.taskRetentionMs !== undefined ? { taskRetentionMs: opts.twilio.taskRetentionMs } : {}),
    ...(opts.twilio?.eventRetentionMs !== undefined ? { eventRetentionMs: opts.twilio.eventRetentionMs } : {}),
  });
  const brevo = registerBrevoEmulator(app, {
    apiKey: secrets.brevoApiKey,
    clock,
    faults,
    prefix: '/brevo/v3',
    ...(opts.brevo?.limits ? { limits: opts.brevo.limits } : {}),
    ...(opts.brevo?.createContactOnUnknownEvent !== undefined ? { createContactOnUnknownEvent: opts.brevo.createContactOnUnknownEvent } : {}),
    ...(opts.brevo?.importDelayMs !== undefined ? { importDelayMs: opts.brevo.importDelayMs } : {}),
  });

  let truth = world.truth;
  const generateMore = (count: number): GroundTruth => {
    // Twilio never back-dates an event: a reader that has read up to the emulated now of this call must find every
    // new row after it. So the new interactions start after that moment (and after anything the world already dates
    // later), play out over GENERATE_WINDOW_MS, and the clock moves to the end of that window: they have happened by
    // the time anyone reads again, every read still hides what lies after the clock, and the truth is what a
    // complete sync then sees.
    const fromMs = clock.nowMs();
    const endMs = Math.max(fromMs, latestActivityMs(db)) + GENERATE_WINDOW_MS;
    truth = genMore(db, { seed, fromMs, nowMs: endMs, count });
    clock.advance(Math.max(0, endMs - clock.nowMs()));
    return truth;
  };
  const infoRef: { current?: EmulatorInfo } = {};

  app.get('/_emulator/info', async () => infoRef.current);
  app.get('/_emulator/truth', async () => truth);
  app.get('/_emulator/clock', async () => ({ nowMs: clock.nowMs(), now: new Date(clock.nowMs()).toISOString(), timeScale: clock.timeScale }));
  app.post('/_emulator/generate', async (req, reply) => {
    const count = Number((req.body as { count?: unknown } | undefined)?.count ?? 10);
    if (!Number.isInteger(count) || count < 1) return reply.code(400).send({ error: 'count must be a positive integer' });
    try {
      return generateMore(count);
    } catch (err) {
      return reply.code(409).send({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  app.get('/_emulator/faults', async () => faults.current());
  app.put('/_emulator/faults', async (req, reply) => {
    const parsed = FaultFileSchema.safeParse(req.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid fault file', issues: parsed.error.issues });
    faults.load(parsed.data);
    return faults.current();
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no emulator route ${req.method} ${req.url.split('?')[0] ?? ''}` }));

  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${publicHost}:${port}`;
  const info: EmulatorInfo = {
    twilio: { flex: `${url}/flex-api`, conversations: `${url}/conversations`, taskrouter: `${url}/taskrouter`, events: `${url}/events` },
    brevo: `${url}/brevo/v3`,
    accountSid,
    authToken: secrets.authToken,
    apiKeySid: secrets.apiKeySid,
    apiKeySecret: secrets.apiKeySecret,
    flexFlowSid: meta('flex_flow_sid'),
    workspaceSid: meta('workspace_sid'),
    brevoApiKey: secrets.brevoApiKey,
  };
  infoRef.current = info;
  let closed = false;
  return {
    info,
    url,
    clock,
    faults,
    world: db,
    truth: () => truth,
    generateMore,
    brevo,
    twilio,
    app,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      db.close();
      if (world.tempPath) for (const p of [world.tempPath, `${world.tempPath}-wal`, `${world.tempPath}-shm`]) rmSync(p, { force: true });
    },
  };
}
