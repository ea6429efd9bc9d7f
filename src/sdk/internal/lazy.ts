import { TajoError } from '../../core/errors.js';

/**
 * Imports a module of another part of Tajo by a computed URL, so the SDK and CLI compile while that module is
 * still being built. Running from sources (tests), `.js` specifiers are retried as `.ts`. A missing module
 * becomes a clear TajoError instead of a crash.
 */
export async function lazyImport<T>(url: URL, what: string): Promise<T> {
  const candidates = [url.href];
  if (url.href.endsWith('.js')) candidates.push(url.href.replace(/\.js$/, '.ts'));
  let last: unknown;
  for (const href of candidates) {
    try {
      return (await import(/* @vite-ignore */ href)) as T;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      last = err;
    }
  }
  throw new TajoError('TAJO_INTERNAL', `${what} is not available in this build`, { cause: last, hint: 'rebuild Tajo (npm run build)' });
}

/** Whether a module can be imported (to degrade gracefully). */
export async function hasModule(url: URL): Promise<boolean> {
  try {
    await lazyImport(url, 'module');
    return true;
  } catch {
    return false;
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|Failed to resolve|does not exist/i.test(String((err as Error | undefined)?.message));
}
