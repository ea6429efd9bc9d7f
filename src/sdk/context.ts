import { loadConfig } from '../config/load.js';
import type { TajoConfig } from '../config/schema.js';
import { resolveDataDir } from '../core/dataDir.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { Vault } from '../core/vault.js';
import { openStore } from '../store/openStore.js';
import type { Store } from '../store/store.js';
import type { TajoClientOptions } from './types.js';

/**
 * What the embedded SDK runs on: the loaded config, the data dir, a logger, and the store and vault
 * (opened on first use, so `status` on a fresh machine does not need a master key).
 */
export class SdkContext {
  private storePromise: Promise<Store> | undefined;
  private vaultInstance: Vault | undefined;
  private readonly closers: (() => Promise<void>)[] = [];

  private constructor(
    readonly config: TajoConfig,
    readonly dataDir: string,
    readonly logger: Logger,
    readonly env: NodeJS.ProcessEnv,
    readonly options: TajoClientOptions,
  ) {}

  static async create(options: TajoClientOptions): Promise<SdkContext> {
    const env = options.env ?? process.env;
    const cwd = options.cwd ?? process.cwd();
    const loaded = options.config ? { config: options.config } : await loadConfigFile(options.configPath, env, cwd);
    const config = loaded.config;
    const dataDir = resolveDataDir({ flag: options.dataDir, env, configured: config.data_dir, configPath: loaded.path, cwd });
    return new SdkContext(config, dataDir, options.logger ?? silentLogger(), env, options);
  }

  /** The store URL: the `storeUrl` option, else `TAJO_DATABASE_URL`, else the config's `store.url` (undefined: `<dataDir>/tajo.db`). */
  storeUrl(): string | undefined {
    return this.options.storeUrl ?? (this.env.TAJO_DATABASE_URL?.trim() || undefined) ?? this.config.store.url;
  }

  store(): Promise<Store> {
    const url = this.storeUrl();
    this.storePromise ??= openStore({ dataDir: this.dataDir, ...(url ? { url } : {}) });
    return this.storePromise;
  }

  /** The credential vault (master key from TAJO_MASTER_KEY or `<dataDir>/master.key`, created on first use). */
  vault(): Vault {
    this.vaultInstance ??= Vault.fromDataDir({ dataDir: this.dataDir, env: this.env });
    return this.vaultInstance;
  }

  /** Runs before the store closes (background loops started on this context). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers.splice(0).reverse()) await fn().catch((err: unknown) => this.logger.warn({ err }, 'stopping a background loop failed'));
    const p = this.storePromise;
    this.storePromise = undefined;
    if (p) await (await p.catch(() => undefined))?.close();
  }
}

/** `--config`, else `TAJO_CONFIG`, else `./tajo.yaml` when present, else defaults; validated and frozen. */
export async function loadConfigFile(configPath: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<{ config: TajoConfig; path?: string }> {
  return loadConfig({ ...(configPath ? { path: configPath } : {}), env, cwd });
}
