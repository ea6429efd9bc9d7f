import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from '../config/schema.js';
import { TajoError } from '../core/errors.js';
import { CliContext, type GlobalOptions } from './context.js';
import { processIo, type CliIo } from './io.js';
import { Output } from './output.js';


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

type Registrar = (program: Command, env: CommandEnv) => void;

/**
 * Command groups load lazily: a run imports only the group it invokes (start-up time of `tajo report`,
 * `tajo --version`…); help and unknown commands load every group.
 */
const GROUPS: Record<string, () => Promise<Registrar[]>> = {
  connectors: async () => [(await import('./commands/connectors.js')).registerConnectorCommands],
  dlq: async () => [(await import('./commands/dlq.js')).registerDlqCommands],
  forget: async () => [(await import('./commands/forget.js')).registerForgetCommand],
  prune: async () => [(await import('./commands/prune.js')).registerPruneCommand],
  keys: async () => [(await import('./commands/keys.js')).registerKeysCommands],
  serve: async () => [(await import('./commands/serve.js')).registerServeCommand],
  emulator: async () => [(await import('./commands/emulator.js')).registerEmulatorCommand],
  migrate: async () => [(await import('./commands/migrate.js')).registerMigrateCommand],
  demo: async () => [(await import('./commands/demo.js')).registerDemoCommand],
  report: async () => [(await import('./commands/report.js')).registerReportCommand],
  config: async () => [(await import('./commands/config.js')).registerConfigCommands],
  dashboard: async () => [(await import('./commands/dashboard.js')).registerDashboardCommand],
};
const GLOBAL_WITH_VALUE = new Set(['--config', '--data-dir', '--log-level']);

/** The first word of the arguments that is not a global option or its value: the command group. */
function firstWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** The registrars a run needs: the invoked group only, or all of them (help, version, unknown command). */
export async function registrarsFor(args: readonly string[]): Promise<Registrar[]> {
  const name = firstWord(args);
  const wantsHelp = args.includes('--help') || args.includes('-h');
  const group = name !== undefined && !wantsHelp ? GROUPS[name] : undefined;
  if (group && name !== 'help') return group();
  if (name === undefined && (args.includes('--version') || args.includes('-V'))) return [];
  return (await Promise.all(Object.values(GROUPS).map((g) => g()))).flat();
}

export function buildProgram(io: CliIo, state: { ctx?: CliContext }, registrars: readonly Registrar[]): Command {
  const program = new Command('tajo')
    .description('Tajo: Twilio Flex → Brevo connector')
    .version(version(), '-V, --version')
    .option('--config <path>', 'config file (default: $TAJO_CONFIG, ./tajo.yaml)')
    .option('--data-dir <dir>', 'data dir (default: $TAJO_DATA_DIR, config data_dir, ./.tajo)')
    .option('--json', 'print one JSON document on stdout')
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices([...LOG_LEVELS]))
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
  for (const register of registrars) register(program, env);
  return program;
}

/** Runs the CLI on user arguments (without `node` and the script); resolves to the exit code. */
export async function run(args: string[], io: CliIo = processIo()): Promise<number> {
  const state: { ctx?: CliContext } = {};
  const program = buildProgram(io, state, await registrarsFor(args));
  const json = args.includes('--json');
  try {
    await program.parseAsync(args, { from: 'user' });
    return state.ctx?.exitCode ?? 0;
  } catch (err) {
    const out = state.ctx?.out ?? new Output(io, json);
    if (err instanceof CommanderError) {
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') {
        // commander printed the help (stderr); `--json` still gets its one document on stdout
        if (!json) return 64;
        const group = firstWord(args);
        return out.error(new TajoError('TAJO_USAGE', group ? `\`tajo ${group}\` needs a subcommand` : 'A command is required', { hint: `see \`tajo ${group ? `${group} ` : ''}--help\`` }));
      }
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
