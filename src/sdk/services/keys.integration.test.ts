/** `tajo keys revoke`: by id or by the key itself; what it prints and the errors never quote a key. */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../cli/test-helpers/runCli.js';

const dirs: { cleanup(): Promise<void> }[] = [];
const newDir = async () => {
  const d = await tempDir('tajo-keys-');
  dirs.push(d);
  return d.path;
};
afterAll(async () => {
  for (const d of dirs) await d.cleanup();
});

describe('tajo keys revoke', () => {
  it('takes the key itself (a leaked key revoked without its id) and prints only its id', async () => {
    const dir = await newDir();
    const k = (await runCli(['--json', '--data-dir', dir, 'keys', 'create', '--name', 'leaked'])).json<{ id: string; key: string }>();
    const human = await runCli(['--data-dir', dir, 'keys', 'revoke', k.key]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${k.id} revoked`);
    expect(human.stdout + human.stderr).not.toContain(k.key);
    const list = (await runCli(['--json', '--data-dir', dir, 'keys', 'list'])).json<{ id: string; revokedAt?: string }[]>();
    expect(list).toEqual([expect.objectContaining({ id: k.id, revokedAt: expect.any(String) })]);
    // again: refused, still without quoting it
    const again = await runCli(['--json', '--data-dir', dir, 'keys', 'revoke', k.key]);
    expect(again.code).toBe(64);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('TAJO_USAGE');
    expect(again.stdout + again.stderr).not.toContain(k.key);
  });

  it('an unknown key or a mistyped one is refused without quoting it; an unknown id is named', async () => {
    const dir = await newDir();
    const k = (await runCli(['--json', '--data-dir', dir, 'keys', 'create'])).json<{ id: string; key: string }>();
    for (const given of [`${k.key}x`, k.key.slice(5), `${k.key} `]) {
      const r = await runCli(['--json', '--data-dir', dir, 'keys', 'revoke', given]);
      expect(r.code).toBe(64);
      expect(r.stdout + r.stderr).not.toContain(given.trim().slice(0, 20));
    }
    const unknownId = await runCli(['--json', '--data-dir', dir, 'keys', 'revoke', 'key_0123456789abcdef']);
    expect(unknownId.json<{ error: { message: string } }>().error.message).toBe('No active API key key_0123456789abcdef');
    // the key was not touched by any of these
    expect((await runCli(['--json', '--data-dir', dir, 'keys', 'list'])).json<{ revokedAt?: string }[]>()[0]?.revokedAt).toBeUndefined();
  });
});
