import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/** bin/tajo.js as a user runs it (it loads the built dist/, which `npm ci` builds). */
const BIN = fileURLToPath(new URL('../../bin/tajo.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bin/tajo.js launcher (bounded heap re-run)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'tajo-launcher-'));
    dirs.push(d);
    return d;
  };

  it('needs the built CLI', () => {
    expect(existsSync(DIST), 'dist/ is missing: run `npm run build` (npm ci does)').toBe(true);
  });

  it('a bounded command passes its output and exit code through the re-run', () => {
    const r = spawnSync(process.execPath, [BIN, 'connectors', 'sync', 'twilio-flex', '--json', '--data-dir', dataDir()], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(69);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'TAJO_CONNECTOR_NOT_INSTALLED' } });
  });

  it('refuses a TAJO_HEAP_MB it cannot take with a coded error instead of crashing or ignoring it', () => {
    for (const bad of ['1', 'abc']) {
      const r = spawnSync(process.execPath, [BIN, 'connectors', 'sync', 'twilio-flex', '--data-dir', dataDir()], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, TAJO_HEAP_MB: bad } });
      expect(r.status, bad).toBe(64);
      expect(r.stderr).toContain(`error[TAJO_USAGE]: TAJO_HEAP_MB="${bad}" is not a heap bound`);
      const j = spawnSync(process.execPath, [BIN, '--json', 'serve', '--data-dir', dataDir()], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, TAJO_HEAP_MB: bad } });
      expect(j.status).toBe(64);
      expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'TAJO_USAGE' } });
    }
  });

  it('serve runs in a child with the heap flags, which stops when the launcher is SIGKILLed', async () => {
    const launcher = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const serverPid = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
      launcher.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        const m = /listening on http:\/\/\S+ \(role \w+, replica [^)]*-(\d+)-[0-9a-f]+\)/.exec(out);
        if (m?.[1]) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    expect(serverPid).not.toBe(launcher.pid);
    const args = spawnSync('ps', ['-o', 'args=', '-p', String(serverPid)], { encoding: 'utf8' }).stdout;
    expect(args).toContain('--max-old-space-size=160');
    expect(readFileSync(`/proc/${serverPid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    launcher.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(alive(serverPid)).toBe(false);
  });
});
