/**
 * Where the CLI writes and what it reads from its environment. `main()` takes one so tests run commands
 * in-process with captured output; the default is the real process.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
  /** Long-running commands (serve, emulator) resolve this to stop; defaults to SIGINT/SIGTERM. */
  waitForShutdown?: () => Promise<void>;
}

/** A closed pipe (`tajo report | head`) ends the output quietly instead of crashing on EPIPE. */
function ignoreEpipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') === 0) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

export function processIo(): CliIo {
  ignoreEpipe(process.stdout);
  ignoreEpipe(process.stderr);
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function signalShutdown(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** An in-memory CliIo for tests and embedding. */
export function bufferIo(opts: { env?: NodeJS.ProcessEnv; cwd?: string; isTTY?: boolean; waitForShutdown?: () => Promise<void> } = {}): CliIo & { out: string[]; err: string[]; stdoutText(): string; stderrText(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    isTTY: opts.isTTY ?? false,
    ...(opts.waitForShutdown ? { waitForShutdown: opts.waitForShutdown } : {}),
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}
