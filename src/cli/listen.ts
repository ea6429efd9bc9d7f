import { TajoError } from '../core/errors.js';

/** Socket errors that mean "this address cannot be listened on here": the user's --host / --port, not a Tajo bug. */
const ADDRESS_ERRORS: Record<string, (where: string, port: string) => { message: string; hint: string }> = {
  EADDRINUSE: (where, port) => ({ message: `${where} is already in use`, hint: `stop the process listening on port ${port}, or pass another --port (0 picks a free one)` }),
  EACCES: (where) => ({ message: `not allowed to listen on ${where}`, hint: 'ports below 1024 need privileges: pass --port 1024 or above (0 picks a free one)' }),
  EADDRNOTAVAIL: (where) => ({ message: `${where} is not an address of this machine`, hint: 'pass a --host this machine has (127.0.0.1, 0.0.0.0 for every interface, or one of its addresses)' }),
  ENOTFOUND: (where) => ({ message: `the host of ${where} does not resolve`, hint: 'pass a --host this machine has (127.0.0.1, 0.0.0.0 for every interface, or one of its addresses)' }),
  EAI_AGAIN: (where) => ({ message: `the host of ${where} could not be resolved`, hint: 'pass a --host as an IP address (127.0.0.1, 0.0.0.0), or check DNS' }),
  EAI_FAIL: (where) => ({ message: `the host of ${where} does not resolve`, hint: 'pass a --host this machine has (127.0.0.1, 0.0.0.0 for every interface)' }),
};

/** Runs `start` (a server's listen) and turns an unusable --host / --port into TAJO_USAGE with a fitting hint. */
export async function listenOrExplain<T>(start: () => Promise<T>, what: string, host: string | undefined, port: number | undefined): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = errnoCode(err);
    const explain = code ? ADDRESS_ERRORS[code] : undefined;
    if (!explain) throw err;
    const p = port === undefined ? '?' : String(port);
    const { message, hint } = explain(`${host ?? '127.0.0.1'}:${p}`, p);
    throw new TajoError('TAJO_USAGE', `${what} cannot listen: ${message} (${code!})`, { hint, cause: err });
  }
}

function errnoCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in ADDRESS_ERRORS) return code;
  }
  return undefined;
}
