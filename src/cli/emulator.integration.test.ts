import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from './io.js';
import { main } from './main.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let dir: { path: string; cleanup(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('tajo-emulator-world-');
});
afterAll(async () => {
  await dir?.cleanup();
});

describe('tajo emulator --world', () => {
  it('a file it cannot use is TAJO_USAGE (exit 64) with a hint, not an internal error', async () => {
    const notDb = join(dir.path, 'notes.txt');
    writeFileSync(notDb, 'hello, not a database\n');
    mkdirSync(join(dir.path, 'adir'));
    for (const [world, says] of [
      [join(dir.path, 'missing', 'w.db'), 'does not exist'],
      [join(dir.path, 'adir'), 'is a directory'],
      [notDb, 'is not an emulator world'],
    ] as const) {
      const r = await runCli(['--json', 'emulator', '--world', world], { cwd: dir.path });
      expect(r.code, world).toBe(64);
      const e = r.json<{ error: { code: string; message: string; hint?: string } }>().error;
      expect(e.code).toBe('TAJO_USAGE');
      expect(e.message).toContain(says);
      expect(e.hint).toContain('existing directory');
    }
  });

  it('a relative file in an existing directory is created there (relative to the current directory)', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const io = bufferIo({ cwd: dir.path, waitForShutdown: () => stopped });
    const running = main(['node', 'tajo', 'emulator', '--seed', '3', '--world', 'w.db'], io);
    for (let i = 0; i < 200 && !io.stdoutText(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(io.stdoutText()).toContain('"accountSid"');
    stop();
    expect(await running).toBe(0);
    expect(existsSync(join(dir.path, 'w.db'))).toBe(true);
  });
});
