import { loadConfig } from '../config/load.js';
import type { TajoConfig } from '../config/schema.js';
import { resolveDataDir } from '../core/dataDir.js';
import { isTajoError, TajoError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { masterKeyMissing, Vault } from '../core/vault.js';
import { openStore } from '../store/openStore.js';
import type { Store } from '../store/store.js';
import { CONNECTOR_IDS, type TajoClientOptions } from './types.js';

/**
 * What the embedded SDK runs on: the loaded config, the data dir, a logger, and the store and vault
 * (opened on first use, so `status` on a fresh machine does not need a master key).
 */
/**
 * The loops a host runs on a context (`tajo serve`: its inbox processor, or none for `--role ingest`). An event handled
 * on such a context is committed to the inbox and handed to the host's processor: the SDK never starts a second
 * processor and delivery worker beside the server's (a second worker would spend the Brevo budget twice).
 */
export interface HostedLoops {
  inbox?: { wake(): void } | undefined;
}

export class SdkContext {
  /** Set by a host (`backgroundLoops`, i.e. `tajo serve`) whose own loops process what this context's calls store. */
  hosted: HostedLoops | undefined;
  private storePromise: Promise<Store> | undefined;
  private vaultInstance: Vault | undefined;
  private readonly closers: (() => Promise<void>)[] = [];
  private closed = false;

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
    if (this.closed) return Promise.reject(closedError());
    const url = this.storeUrl();
    this.storePromise ??= openStore({ dataDir: this.dataDir, ...(url ? { url } : {}) });
    return this.storePromise;
  }

  /**
   * The credential vault to open (or derive from) what is stored: master key from TAJO_MASTER_KEY or
   * `<dataDir>/master.key`. Never generates a key: without one, TAJO_MASTER_KEY_MISSING (a new key cannot open what
   * another sealed, and on a shared store the data dir may be a fresh `./.tajo` on a machine without the key).
   */
  vault(): Vault {
    this.vaultInstance ??= Vault.fromDataDir({ dataDir: this.dataDir, env: this.env, create: false });
    return this.vaultInstance;
  }

  /**
   * The vault to seal new credentials with: as `vault()`, except that a key is generated in the data dir when there is
   * none AND the store holds no sealed credential yet (the first install). When the store holds credentials sealed
   * with a key this machine does not have, TAJO_MASTER_KEY_MISSING: sealing with a new key would leave the other
   * replicas unable to open them.
   */
  async sealingVault(): Promise<Vault> {
    if (this.vaultInstance) return this.vaultInstance;
    try {
      return this.vault();
    } catch (err) {
      if (!isTajoError(err, 'TAJO_MASTER_KEY_MISSING')) throw err;
    }
    const store = await this.store();
    for (const id of CONNECTOR_IDS) {
      if (Object.keys(await store.getSecrets(id)).length) throw masterKeyMissing(`The store holds credentials of ${id} sealed with another master key`);
    }
    this.vaultInstance ??= Vault.fromDataDir({ dataDir: this.dataDir, env: this.env });
    return this.vaultInstance;
  }

  /** Runs before the store closes (background loops started on this context). */
  onClose(fn: () => Promise<void>): void {
    // a loop started by a call that was still running when the context closed is stopped at once
    if (this.closed) void fn().catch((err: unknown) => this.logger.warn({ err }, 'stopping a background loop failed'));
    else this.closers.push(fn);
  }

  /** Closes the store once the background loops stopped; afterwards the store is not reopened (TAJO_CLIENT_CLOSED). */
  async close(): Promise<void> {
    this.closed = true;
    for (const fn of this.closers.splice(0).reverse()) await fn().catch((err: unknown) => this.logger.warn({ err }, 'stopping a background loop failed'));
    const p = this.storePromise;
    this.storePromise = undefined;
    if (p) await (await p.catch(() => undefined))?.close();
  }
}

export function closedError(): TajoError {
  return new TajoError('TAJO_CLIENT_CLOSED', undefined, { hint: 'close() releases the store and stops the background loops; create a new TajoClient to go on' });
}

/** `--config`, else `TAJO_CONFIG`, else `./tajo.yaml` when present, else defaults; validated and frozen. */
export async function loadConfigFile(configPath: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<{ config: TajoConfig; path?: string }> {
  return loadConfig({ ...(configPath ? { path: configPath } : {}), env, cwd });
}
