#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`).
// Long-running commands (connectors sync, serve, migrate) run once more with a bounded V8 heap: see src/cli/heapBounds.ts.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);

// A coded TajoError (e.g. TAJO_HEAP_MB refused) is reported as the CLI reports it; anything else is internal (70).
const fail = (err) => {
  const coded = err && typeof err === 'object' && typeof err.code === 'string' && err.code.startsWith('TAJO_') && Number.isInteger(err.exitCode);
  const code = coded ? err.code : 'TAJO_INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ error: { code, message, details: [], ...(coded && err.hint ? { hint: err.hint } : {}) } })}\n`);
  } else {
    process.stderr.write(`error[${code}]: ${message}\n${coded && err.hint ? `hint: ${err.hint}\n` : ''}`);
  }
  process.exit(coded ? err.exitCode : 70);
};
import('../dist/cli/heapBounds.js')
  .then(({ boundedHeapFlags, boundedEnv }) => {
    const flags = boundedHeapFlags(args, process.env, process.execArgv);
    if (!flags) {
      // The re-run: when the launcher dies without passing a signal on (SIGKILL), stop too instead of running orphaned.
      const launcher = Number(process.env.TAJO_LAUNCHER_PID);
      if (launcher > 0) {
        setInterval(() => {
          if (process.ppid !== launcher) process.kill(process.pid, 'SIGTERM');
        }, 1000).unref();
      }
      return import('../dist/cli/main.js').then((m) => m.main(process.argv));
    }
    const child = spawn(process.execPath, [...flags, ...process.execArgv, process.argv[1], ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...boundedEnv(process.env), TAJO_BOUNDED_HEAP: '1', TAJO_LAUNCHER_PID: String(process.pid) },
    });
    // Ctrl-C reaches the whole process group (the child handles it); termination sent to this process is passed on.
    process.on('SIGINT', () => {});
    for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (signal) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      } else process.exit(code ?? 70);
    });
  })
  .catch(fail);
