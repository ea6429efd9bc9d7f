import { Writable } from 'node:stream';
import { LOG_LEVELS, type LogLevel, type TwilioFlexConfig } from '../config/schema.js';
import { TajoError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { TajoClient } from '../sdk/client.js';
import { SdkContext } from '../sdk/context.js';
import { EmbeddedBackend } from '../sdk/embedded.js';
import type { TajoClientOptions } from '../sdk/types.js';
import type { CliIo } from './io.js';
import { Output } from './output.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
  logLevel?: string;
}

/**
 * One CLI invocation: output, logger, and the embedded SDK (the CLI is built on it). The SDK context (config,
 * store) is created on first use so `--help` or `tajo emulator` never touch a data dir.
 */
export class CliContext {
  readonly out: Output;
  readonly logger: Logger;
  /** Set by commands that report a failure as data (e.g. `connectors test`) rather than by throwing. */
  exitCode = 0;
  private client: TajoClient | undefined;
  private sdkCtx: Promise<SdkContext> | undefined;
  /** Cleanups run when the command ends (store handles, servers). */
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  /** `--log-level`, else TAJO_LOG_LEVEL: wins over the config and the command's default. */
  private readonly explicitLevel: LogLevel | undefined;
  private commandLevel: LogLevel = 'warn';
  private configLogging: Pick<TwilioFlexConfig, 'debug' | 'log_level' | 'log_api_calls'> | undefined;

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
  ) {
    this.out = new Output(io, Boolean(globals.json));
    this.explicitLevel = explicitLogLevel(globals.logLevel, io.env.TAJO_LOG_LEVEL);
    const level = this.explicitLevel ?? this.commandLevel;
    const out = this.out;
    const destination = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        out.io.stderr(out.scrub(chunk.toString()));
        cb();
      },
    });
    this.logger = createLogger({ level, destination });
  }

  /** The command's own default level (serve and dashboard: info), below the config and the explicit level. */
  useDefaultLevel(level: LogLevel): void {
    this.commandLevel = level;
    this.logger.level = this.effectiveLevel();
  }

  /**
   * Level order: `--log-level`, TAJO_LOG_LEVEL, then the config (`log_level`, `debug: true` = at least debug,
   * `log_api_calls: true` = at least info, the level API calls are logged at), then the command's default.
   */
  effectiveLevel(): LogLevel {
    if (this.explicitLevel) return this.explicitLevel;
    const c = this.configLogging;
    let level: LogLevel = c?.log_level ?? this.commandLevel;
    if (c?.debug) level = moreVerbose(level, 'debug');
    if (c?.log_api_calls) level = moreVerbose(level, 'info');
    return level;
  }

  sdkOptions(extra: Partial<TajoClientOptions> = {}): TajoClientOptions {
    return {
      ...(this.globals.config ? { configPath: this.globals.config } : {}),
      ...(this.globals.dataDir ? { dataDir: this.globals.dataDir } : {}),
      logger: this.logger,
      env: this.io.env,
      cwd: this.io.cwd,
      ...extra,
    };
  }

  /** The loaded config, data dir and store (config errors surface here, exit 78). */
  sdk(): Promise<SdkContext> {
    this.sdkCtx ??= SdkContext.create(this.sdkOptions()).then((ctx) => {
      this.onClose(() => ctx.close());
      this.configLogging = ctx.config.connectors.twilio_flex;
      this.logger.level = this.effectiveLevel();
      for (const s of [ctx.config.brevo.api_key, ctx.config.connectors.twilio_flex.auth_token, ctx.config.connectors.twilio_flex.api_key_secret]) this.out.addSecrets(s);
      return ctx;
    });
    return this.sdkCtx;
  }

  /** The embedded SDK client over the same context. */
  async tajo(): Promise<TajoClient> {
    if (!this.client) {
      const ctx = await this.sdk();
      const backend = EmbeddedBackend.fromContext(ctx);
      this.client = TajoClient.withBackend(backend);
    }
    return this.client;
  }

  onClose(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        this.logger.debug({ err }, 'cleanup failed');
      }
    }
  }
}

/** `--log-level` (commander checked it) or TAJO_LOG_LEVEL (checked here: pino would throw an internal error). */
function explicitLogLevel(flag: string | undefined, env: string | undefined): LogLevel | undefined {
  const given = flag ?? (env?.trim() ? env.trim() : undefined);
  if (given === undefined) return undefined;
  const level = LOG_LEVELS.find((l) => l === given.toLowerCase());
  if (!level) {
    throw new TajoError('TAJO_USAGE', `${flag !== undefined ? '--log-level' : 'TAJO_LOG_LEVEL'} "${given}" is not a log level`, {
      hint: `use one of ${LOG_LEVELS.join(', ')}`,
    });
  }
  return level;
}

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5, silent: 6 };
const moreVerbose = (a: LogLevel, b: LogLevel): LogLevel => (RANK[a] <= RANK[b] ? a : b);
