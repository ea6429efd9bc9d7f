import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulators/index.js';
import { runCli, tempDir } from './test-helpers/runCli.js';

let server: Server;
let url: string;
let dir: { path: string; cleanup(): Promise<void> };

beforeAll(async () => {
  // a server that is not an emulator: a page for every path (as a dashboard or a proxy answers), or JSON null
  server = createServer((req, res) => {
    if (req.url?.startsWith('/null/')) res.writeHead(200, { 'content-type': 'application/json' }).end('null');
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>not an emulator</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await tempDir();
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await dir?.cleanup();
});

describe('connectors install --emulator <url of another server>', () => {
  it('is TAJO_USAGE (exit 64) saying it is not an emulator, not an internal error', async () => {
    for (const u of [url, `${url}/null`]) {
      const r = await runCli(['--json', '--data-dir', dir.path, 'connectors', 'install', 'twilio-flex', '--emulator', u]);
      expect(r.code, u).toBe(64);
      expect(r.json()).toMatchObject({ error: { code: 'TAJO_USAGE', message: `${u}/_emulator/info is not an emulator info document${u === url ? ' (not JSON)' : ''}` } });
    }
  });
});

describe('connectors install --emulator <one of the URLs `tajo emulator` prints>', () => {
  it('finds the emulator at that URL\'s origin, as the hint ("pass the URL it prints") says', async () => {
    const emu = await startEmulator({ seed: 71, scale: 'small' });
    try {
      for (const [i, u] of [emu.info.twilio.flex, emu.info.brevo, `${emu.url}/`].entries()) {
        const r = await runCli(['--data-dir', join(dir.path, `printed-${i}`), 'connectors', 'install', 'twilio-flex', '--emulator', u]);
        expect(r.code, `${u}: ${r.stderr}`).toBe(0);
      }
      const none = await runCli(['--data-dir', join(dir.path, 'none'), 'connectors', 'install', 'twilio-flex', '--emulator', 'http://127.0.0.1:9/x']);
      expect(none.code).toBe(64);
      expect(none.stderr).toMatch(/hint: .*tajo emulator/);
    } finally {
      await emu.close();
    }
  });
});
