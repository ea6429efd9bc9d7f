/**
 * The README's express example (section "SDK"), run as written: taken from README.md with only its data dir changed
 * (and lines appended that listen on a free port), in a child process that imports `@tajo/sdk` as a user's app does.
 * The file is written inside the package (a gitignored dir), so the package's self-reference resolves `@tajo/sdk` to
 * the built dist/ (which `npm ci` builds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { TajoClient } from '../sdk/index.js';
import { emulatorSuite } from '../sdk/test-helpers/emulatorSuite.js';
import { openStore } from '../store/openStore.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK_DIST = join(ROOT, 'dist', 'sdk', 'index.js');
/** Where the example runs: inside the package, so `from '@tajo/sdk'` is the package itself (gitignored). */
const RUN_ROOT = join(ROOT, '.readme-examples');
const DATA_DIR_AS_WRITTEN = "'./.tajo'";

/** The README's one ```ts block that starts with `import express from 'express';`. */
function expressExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```ts\n(import express from 'express';\n[\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
  expect(blocks, "README.md: one ```ts block starting with import express from 'express';").toHaveLength(1);
  return blocks[0] ?? '';
}

/** The example with its data dir replaced (it must name it once), and the lines that start it on a free port. */
function runnable(example: string, dataDir: string): string {
  const parts = example.split(DATA_DIR_AS_WRITTEN);
  expect(parts.length - 1, `the example's data dir ${DATA_DIR_AS_WRITTEN}`).toBe(1);
  return `${parts.join(JSON.stringify(dataDir))}
// appended by expressReadme.integration.test.ts: listen on a free port and say which
const server = app.listen(0, '127.0.0.1', (err?: Error) => {
  if (err) throw err;
  const address = server.address();
  console.log(\`listening on \${typeof address === 'object' && address ? address.port : String(address)}\`);
});
`;
}

/** The environment of the user's app: none of this machine's Tajo, Twilio or Brevo settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TAJO|BREVO|TWILIO)_/.test(k)));
}

function started(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start in 30 s:\n${output()}`)), 30_000);
    child.stdout?.on('data', () => {
      const m = /listening on (\d+)/.exec(output());
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the example exited (${code ?? signal}) before listening:\n${output()}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

const suite = emulatorSuite(7);

describe("the README's express example, as written, against real express", () => {
  const children: ChildProcess[] = [];
  const runDirs: string[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) await stop(c);
    for (const d of runDirs.splice(0)) rmSync(d, { recursive: true, force: true });
    try {
      rmdirSync(RUN_ROOT); // only when empty
    } catch {
      // another run's example is still there
    }
  });

  it('stores a valid task.completed once the connector is installed; coded 4xx JSON for everything it refuses (not installed, invalid, malformed, too large)', async () => {
    expect(existsSync(SDK_DIST), 'dist/ is missing: run `npm run build` (npm ci does)').toBe(true);
    const { emu } = suite;
    const dataDir = await suite.tempDir('tajo-readme-express-');
    mkdirSync(RUN_ROOT, { recursive: true });
    const runDir = mkdtempSync(join(RUN_ROOT, 'express-'));
    runDirs.push(runDir);
    const file = join(runDir, 'app.ts');
    writeFileSync(file, runnable(expressExample(), dataDir));
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: runDir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const port = await started(child, () => out);
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${port}/webhooks/flex/task-complete`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(30_000) });

    // a task the emulated TaskRouter completed, with its customer's email
    const resolved = emu.truth().events.find((e) => e.name === 'SUPPORT_RESOLVED' && e.email_id !== undefined);
    if (!resolved?.email_id) throw new Error('the emulator has no resolved task with an email');
    // before the connector is installed in the example's data dir: its coded 404
    const early = await post(JSON.stringify({ TaskSid: resolved.source_sid, email: resolved.email_id }));
    expect(early.status, out).toBe(404);
    expect(await early.json()).toMatchObject({ error: { code: 'TAJO_CONNECTOR_NOT_INSTALLED' } });
    // installed (here against the emulator) while the example runs
    const setup = new TajoClient({ dataDir, env: {}, config: ConfigSchema.parse({}) });
    try {
      await setup.connectors.connect('twilio-flex', {
        accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio,
        brevoApiKey: emu.info.brevoApiKey, brevoBaseUrl: emu.info.brevo,
      });
    } finally {
      await setup.close();
    }
    const ok = await post(JSON.stringify({ TaskSid: resolved.source_sid, email: resolved.email_id }));
    expect(ok.status, out).toBe(200);
    // a repeat is acknowledged (and dropped)
    expect((await post(JSON.stringify({ TaskSid: resolved.source_sid, email: resolved.email_id }))).status).toBe(200);

    // handleEvent refuses what it cannot map: errorResponse gives the catalogue status with code, message and details
    const missing = await post(JSON.stringify({ email: resolved.email_id }));
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await missing.json()).toMatchObject({ error: { code: 'TAJO_RECORD_INVALID', details: [{ path: 'payload.taskSid' }] } });
    const notASid = await post(JSON.stringify({ TaskSid: 'WTnope', email: resolved.email_id }));
    expect(notASid.status).toBe(422);
    expect(await notASid.json()).toMatchObject({ error: { code: 'TAJO_RECORD_INVALID', message: expect.stringContaining('TaskSid') as unknown } });
    // an address Brevo would refuse is refused now, naming the field (not a 200 and the address dropped later)
    const badEmail = await post(JSON.stringify({ TaskSid: resolved.source_sid, email: 'not an email' }));
    expect(badEmail.status).toBe(422);
    expect(await badEmail.json()).toMatchObject({ error: { code: 'TAJO_RECORD_INVALID', details: [{ path: 'payload.customerEmail' }] } });
    // express.json() refuses it before the route: the example's error handler answers it, not express's HTML page
    const malformed = await post('{"TaskSid": ');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await malformed.json()).toEqual({ error: { code: 'TAJO_WEBHOOK_MALFORMED', message: 'Request body is malformed' } });
    // past express.json()'s own limit (100 kB by default): its 413, coded
    const large = await post(JSON.stringify({ TaskSid: resolved.source_sid, email: resolved.email_id, pad: 'x'.repeat(150_000) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({ error: { code: 'TAJO_WEBHOOK_BODY_TOO_LARGE', message: 'Request body is too large' } });

    // the event is in the example's store, as the example mapped the body: stored once and processed at once (into the
    // task's interaction, its customer linked by the email)
    const db = new Database(join(dataDir, 'tajo.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT key, source, status, payload FROM inbox WHERE source = 'flex-plugin'").all() as { key: string; source: string; status: string; payload: string }[];
      expect(rows.map(({ payload: _p, ...r }) => r)).toEqual([{ key: `flex:task-complete:${resolved.source_sid}`, source: 'flex-plugin', status: 'processed' }]);
      expect(JSON.parse(rows[0]?.payload ?? '{}')).toMatchObject({
        TaskSid: resolved.source_sid, TaskAttributes: { email: resolved.email_id, channelType: 'chat' }, TaskChannelUniqueName: 'chat', Age: 300, TaskQueueFriendlyName: 'Support',
      });
    } finally {
      db.close();
    }
    const store = await openStore({ dataDir });
    const tajo = new TajoClient({ dataDir, env: {}, config: ConfigSchema.parse({}) });
    try {
      expect((await store.getInteractions('twilio-flex', [resolved.source_sid])).map((i) => i.taskSid)).toEqual([resolved.source_sid]);
      expect((await store.customerKeysByEmail('twilio-flex', [resolved.email_id])).get(resolved.email_id)?.length).toBe(1);
      await expect(tajo.connectors.status('twilio-flex')).resolves.toMatchObject({ conversationsTracked: 1, customersLinked: 1 });
    } finally {
      await tajo.close();
      await store.close();
    }
  });
});
