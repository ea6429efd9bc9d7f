/**
 * Bounded V8 heap for the long-running commands. Node sizes its heap from the machine's memory and collects lazily,
 * so a backfill that streams a million events through the process would keep a few hundred MB resident although
 * its live data stays near 60 MB (bench:sync: reference scale 350 MB with Node's defaults, ~190 MB bounded). The
 * launcher (bin/tajo.js) re-runs these commands once with the flags below; everything else starts as it is (the
 * re-run costs one Node start-up). Flags cannot be set after V8 starts (`v8.setFlagsFromString` does not resize
 * the heap), hence the re-run.
 *
 * - `--max-old-space-size=160`: about 2.5× the sync's live heap, so collections stay rare.
 * - `--max-semi-space-size=4`: the young generation holds 4 MB per semi-space instead of 16; pages of Twilio events
 *   are short-lived garbage, so a small nursery costs little CPU and no longer inflates the resident set.
 * - `MALLOC_ARENA_MAX=2` in the re-run's environment (unless already set): glibc gives each thread that allocates
 *   (libuv's pool, V8's GC helpers, SQLite) its own malloc arena, whose freed pages stay resident; two arenas keep
 *   the native part of a long backfill ~15 MB smaller (bench:sync, large scale) at no measurable cost.
 * `TAJO_HEAP_MB` changes the old-space bound; `TAJO_HEAP_MB=0`, or a `--max-old-space-size` already given (in
 * NODE_OPTIONS or on the node command line), turns the re-run off. `tajo demo` and `tajo emulator` are not bounded:
 * they host the emulators and the data generator in process.
 */
import { TajoError } from '../core/errors.js';

export const BOUNDED_COMMANDS: ReadonlyArray<readonly string[]> = [['connectors', 'sync'], ['serve'], ['migrate']];

export const DEFAULT_HEAP_MB = 160;
export const SEMI_SPACE_MB = 4;
/** The smallest bound taken: below it V8 dies of heap exhaustion before the CLI has started (TAJO_HEAP_MB=1). */
export const MIN_HEAP_MB = 64;

/** `TAJO_HEAP_MB`: unset or empty = the default, 0 = unbounded, else a whole number of MB ≥ MIN_HEAP_MB. */
export function heapMbFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_HEAP_MB;
  const v = raw.trim();
  const mb = /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (mb === 0) return 0;
  if (!Number.isSafeInteger(mb) || mb < MIN_HEAP_MB) {
    throw new TajoError('TAJO_USAGE', `TAJO_HEAP_MB="${raw}" is not a heap bound: give a whole number of MB, at least ${MIN_HEAP_MB} (0 turns the bound off)`, {
      hint: `unset it for the default ${DEFAULT_HEAP_MB} MB, or e.g. TAJO_HEAP_MB=256`,
    });
  }
  return mb;
}

/** The words of argv (after node and the script) that are not options. */
function words(args: readonly string[]): string[] {
  return args.filter((a) => !a.startsWith('-'));
}

/** The V8 flags to re-run `args` with, or undefined to run as is. Throws TAJO_USAGE for a TAJO_HEAP_MB it cannot take. */
export function boundedHeapFlags(args: readonly string[], env: Readonly<Record<string, string | undefined>>, execArgv: readonly string[]): string[] | undefined {
  if (env.TAJO_BOUNDED_HEAP === '1') return undefined; // already the re-run
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--max-old-space-size'));
  if (given) return undefined;
  const w = words(args);
  // Global options may come first (`tajo --config x.yaml serve`): the command is a run of words anywhere.
  const bounded = BOUNDED_COMMANDS.some((cmd) => w.some((_x, start) => cmd.every((c, i) => w[start + i] === c)));
  if (!bounded) return undefined;
  const mb = heapMbFromEnv(env.TAJO_HEAP_MB);
  return mb === 0 ? undefined : [`--max-old-space-size=${mb}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];
}

/** Environment the re-run gets on top of the launcher's (see `MALLOC_ARENA_MAX` above); the user's own value wins. */
export function boundedEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return env.MALLOC_ARENA_MAX === undefined || env.MALLOC_ARENA_MAX === '' ? { MALLOC_ARENA_MAX: '2' } : {};
}
