import { TajoError } from '../core/errors.js';
import type { EmulatorInfo } from '../emulators/index.js';

export type { EmulatorInfo };

export async function fetchEmulatorInfo(url: string): Promise<EmulatorInfo> {
  const base = url.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/_emulator/info`, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new TajoError('TAJO_USAGE', `No emulator answers at ${base}`, { cause: err, hint: 'start one with `tajo emulator` and pass the URL it prints' });
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
