import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { TajoError } from '../core/errors.js';
import { registerConnectorCommands } from './commands/connectors.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDlqCommands } from './commands/dlq.js';
import { registerEmulatorCommand } from './commands/emulator.js';
import { registerForgetCommand } from './commands/forget.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerReportCommand } from './commands/report.js';
import { registerServeCommand } from './commands/serve.js';
import { CliContext, type GlobalOptions } from './context.js';
import { processIo, type CliIo } from './io.js';
import { Output } from './output.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Holder for the invocation's context: commands get it lazily, after commander parsed the global options. */
export interface CommandEnv {
  ctx(): CliContext;
}

export function buildProgram(io: CliIo, state: { ctx?: CliContext }): Command {
  const program = new Command('tajo')
    .description('Tajo: Twilio Flex → Brevo connector')
    .version(version(), '-V, --version')
    .option('--config <path>', 'config file (default: $TAJO_CONFIG, ./tajo.yaml)')
    .option('--data-dir <dir>', 'data dir (default: $TAJO_DATA_DIR, config data_dir, ./.tajo)')
    .option('--json', 'print one JSON document on stdout')
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS))
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // Parse errors are rendered by `run` (human or JSON), not by commander.
      outputError: () => undefined,
    });
  const env: CommandEnv = {
    ctx: () => {
      state.ctx ??= new CliContext(io, program.opts<GlobalOptions>());
      return state.ctx;
    },
  };
  registerConnectorCommands(program, env);
  registerDlqCommands(program, env);
  registerForgetCommand(program, env);
  registerKeysCommands(program, env);
  registerServeCommand(program, env);
  registerEmulatorCommand(program, env);
  registerMigrateCommand(program, env);
  registerDemoCommand(program, env);
  registerReportCommand(program, env);
  registerDashboardCommand(program, env);
  return program;
}

/** Runs the CLI on user arguments (without `node` and the script); resolves to the exit code. */
export async function run(args: string[], io: CliIo = processIo()): Promise<number> {
  const state: { ctx?: CliContext } = {};
  const program = buildProgram(io, state);
  const json = args.includes('--json');
  try {
    await program.parseAsync(args, { from: 'user' });
    return state.ctx?.exitCode ?? 0;
  } catch (err) {
    const out = state.ctx?.out ?? new Output(io, json);
    if (err instanceof CommanderError) {
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return 64;
      return out.error(new TajoError('TAJO_USAGE', err.message.replace(/^error: /, ''), { hint: 'see `tajo --help`' }));
    }
    return out.error(err);
  } finally {
    await state.ctx?.close();
  }
}

/** Entry point of `bin/tajo.js`: `main(process.argv)`. Sets `process.exitCode` when running on the real process. */
export async function main(argv: string[] = process.argv, io?: CliIo): Promise<number> {
  const code = await run(argv.slice(2), io ?? processIo());
  if (!io) process.exitCode = code;
  return code;
}
