import { Writable } from 'node:stream';
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

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
  ) {
    this.out = new Output(io, Boolean(globals.json));
    const level = globals.logLevel ?? io.env.TAJO_LOG_LEVEL ?? 'warn';
    const out = this.out;
    const destination = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        out.io.stderr(out.scrub(chunk.toString()));
        cb();
      },
    });
    this.logger = createLogger({ level, destination });
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
