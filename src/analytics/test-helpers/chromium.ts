/** Headless Chromium for the dashboard tests: Debian's `chromium` (CHROMIUM_PATH or PATH; never downloaded) and the built page. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const name of ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']) {
    try {
      const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not on PATH
    }
  }
  throw new Error('Chromium not found: install Debian\'s `chromium` package (apt-get install chromium) or set CHROMIUM_PATH; this test never downloads a browser');
}

/** Builds dashboard/ with its vite config into `outDir`. */
export async function buildDashboard(outDir: string): Promise<void> {
  await build({ configFile: join(ROOT, 'dashboard/vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
}
