import { TajoError } from '../core/errors.js';
import type { EmulatorInfo } from '../emulators/index.js';

export type { EmulatorInfo };

/**
 * The info of the emulator at `url`: its address (http://127.0.0.1:PORT), or any URL on it (`tajo emulator` prints
 * the vendors' base URLs, e.g. …/flex-api): when the URL as given is not the emulator's, its origin is tried. Errors
 * are about the URL as given.
 */
export async function fetchEmulatorInfo(url: string): Promise<EmulatorInfo> {
  const base = url.replace(/\/+$/, '');
  let origin: string | undefined;
  try {
    origin = new URL(base).origin;
  } catch {
    origin = undefined;
  }
  try {
    return await infoAt(base);
  } catch (err) {
    // nothing answered at that host: its origin will not either
    if (origin === undefined || origin === base || origin === 'null' || unreachable.has(err as object)) throw err;
    const found = await infoAt(origin).catch(() => undefined);
    if (!found) throw err;
    return found;
  }
}

const unreachable = new WeakSet<object>();

async function infoAt(base: string): Promise<EmulatorInfo> {
  let res: Response;
  try {
    res = await fetch(`${base}/_emulator/info`, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const e = new TajoError('TAJO_USAGE', `No emulator answers at ${base}`, { cause: err, hint: 'start one with `tajo emulator` and pass its address (http://127.0.0.1:PORT; any of the URLs it prints works)' });
    unreachable.add(e);
    throw e;
  }
  if (!res.ok) throw new TajoError('TAJO_USAGE', `${base}/_emulator/info answered ${res.status}`, { hint: 'is this a `tajo emulator` URL?' });
  let info: Partial<EmulatorInfo> | null;
  try {
    info = (await res.json()) as Partial<EmulatorInfo> | null;
  } catch (err) {
    // another server answering 200 with a page (a dashboard, a proxy): the user's URL, not a Tajo bug
    throw new TajoError('TAJO_USAGE', `${base}/_emulator/info is not an emulator info document (not JSON)`, { cause: err, hint: 'is this a `tajo emulator` URL?' });
  }
  if (!info?.twilio || !info.accountSid || !info.brevo) throw new TajoError('TAJO_USAGE', `${base}/_emulator/info is not an emulator info document`);
  return info as EmulatorInfo;
}
