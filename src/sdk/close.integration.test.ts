/**
 * `close()` while calls run: a sync still running is aborted, an event being handled finishes, the loops they
 * started are stopped, calls made afterwards fail with TAJO_CLIENT_CLOSED (the store is not reopened), and the
 * process exits on its own. Run in a child process: only there does "the process exits" show.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';

const INDEX = fileURLToPath(new URL('./index.ts', import.meta.url));

let emu: RunningEmulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ seed: 5, scale: 'small', timeScale: 20 });
  dir = await mkdtemp(join(tmpdir(), 'tajo-close-'));
});
afterAll(async () => {
  await emu?.close();
  await rm(dir, { recursive: true, force: true });
});

function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    }),
  );
}

describe('TajoClient.close() during in-flight work', () => {
  it('in-flight calls complete or fail with a code, later calls fail with TAJO_CLIENT_CLOSED, and the process exits', async () => {
    const script = `import { TajoClient } from ${JSON.stringify(INDEX)};
      const info = JSON.parse(process.env.EMU);
      const tajo = new TajoClient({ dataDir: process.env.DIR, env: {} });
      await tajo.connectors.connect('twilio-flex', { accountSid: info.accountSid, authToken: info.authToken, flexFlowSid: info.flexFlowSid, baseUrls: info.twilio, brevoApiKey: info.brevoApiKey, brevoBaseUrl: info.brevo });
      const show = (p) => p.then((r) => 'ok' + (r && r.status ? ':' + r.status : ''), (e) => 'err:' + (e.code ?? e.constructor.name));
      const sync = show(tajo.connectors.sync('twilio-flex', { type: 'full' }));
      const event = show(tajo.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: 'WT' + 'b'.repeat(32) } }));
      await new Promise((r) => setTimeout(r, 300));
      const closing = tajo.close();
      const during = await show(tajo.connectors.status('twilio-flex'));
      await closing;
      const out = { sync: await sync, event: await event, during, after: await show(tajo.connectors.status('twilio-flex')), backend: await show(tajo.backend()), again: await show(tajo.close()) };
      console.log(JSON.stringify(out));
      process.on('exit', () => console.log('exited'));`;
    const r = await run(script, { EMU: JSON.stringify(emu.info), DIR: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [line, exited] = r.stdout.trim().split('\n');
    expect(exited).toBe('exited');
    const out = JSON.parse(line!) as Record<string, string>;
    // the sync was aborted by close(): it reports so, or fails with a code
    expect(out.sync).toMatch(/^(ok:(aborted|paused|ok|partial|failed)|err:TAJO_[A-Z_]+)$/);
    expect(out.event).toMatch(/^(ok|err:TAJO_[A-Z_]+)$/);
    expect(out).toMatchObject({ during: 'err:TAJO_CLIENT_CLOSED', after: 'err:TAJO_CLIENT_CLOSED', backend: 'err:TAJO_CLIENT_CLOSED', again: 'ok' });
  }, 40_000);
});
