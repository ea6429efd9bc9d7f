/**
 * Credential vault: AES-256-GCM with a 32-byte master key from `TAJO_MASTER_KEY` (base64 or hex) or a generated
 * `<dataDir>/master.key` (mode 0600). The AAD binds each ciphertext to its connector id and secret name, so a
 * sealed value copied to another slot does not open. Errors never carry key or plaintext material.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDataDir } from './dataDir.js';
import { TajoError } from './errors.js';

export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const AAD_PREFIX = 'tajo/secret/v1';

/** AES-256-GCM output, all base64 (structurally the store's `SealedSecret`; core does not import the store). */
export interface SealedSecret {
  iv: string;
  tag: string;
  ciphertext: string;
}

/** Where a sealed value belongs: the AAD. */
export interface SecretSlot {
  connectorId: string;
  name: string;
}

/** Decodes a master key given as 64 hex characters or base64 (standard or url-safe) of exactly 32 bytes. */
export function parseMasterKey(value: string): Buffer {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const buf = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length === KEY_BYTES) return buf;
  }
  throw new TajoError('TAJO_MASTER_KEY_INVALID', undefined, {
    hint: 'Generate one with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64\'))"',
  });
}

export interface MasterKeySource {
  key: Buffer;
  source: 'env' | 'file';
  /** The key file, when the key came from one. */
  path?: string;
  /** True when this call generated the key file. */
  created?: boolean;
}

/**
 * `TAJO_MASTER_KEY` when set; else reads `<dataDir>/master.key`, tightening its mode to 0600 if looser; else
 * creates it (atomically: several processes starting at once end up with the same key). With `create: false` a
 * missing key is TAJO_MASTER_KEY_MISSING instead, and neither the file nor the data dir is created: a key generated
 * to open what another key sealed can only fail, and credentials sealed with it later would not open elsewhere.
 */
export function loadMasterKey(opts: { dataDir: string; env?: NodeJS.ProcessEnv; create?: boolean }): MasterKeySource {
  const fromEnv = (opts.env ?? process.env).TAJO_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { key: parseMasterKey(fromEnv), source: 'env' };
  if (opts.create === false && !exists(join(opts.dataDir, MASTER_KEY_FILE))) throw masterKeyMissing();
  const path = join(ensureDataDir(opts.dataDir), MASTER_KEY_FILE);
  let created = false;
  if (!exists(path)) created = createKeyFile(path);
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  let key: Buffer;
  try {
    key = parseMasterKey(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TajoError('TAJO_MASTER_KEY_INVALID', `The master key file ${MASTER_KEY_FILE} in the data directory is not a valid 32-byte key`, { cause: err });
  }
  return { key, source: 'file', path, ...(created ? { created } : {}) };
}

/** No `TAJO_MASTER_KEY` and no key file in the data dir; `why` says what needed the key. */
export function masterKeyMissing(why?: string): TajoError {
  return new TajoError('TAJO_MASTER_KEY_MISSING', `${why ? `${why}: ` : ''}TAJO_MASTER_KEY is not set and the data directory has no ${MASTER_KEY_FILE}`, {
    hint: `set TAJO_MASTER_KEY to the key the store's credentials were sealed with (as on the other replicas), or copy that ${MASTER_KEY_FILE} into the data directory; if that key is lost, set a new TAJO_MASTER_KEY and re-run \`tajo connectors install\` with every credential`,
  });
}

/**
 * A master key is there (TAJO_MASTER_KEY or master.key) but opens none of the credentials the store holds: sealing
 * with it would leave the store holding credentials under two keys. `source` names where this key came from.
 */
export function masterKeyMismatch(connectorId: string, why: string, source: 'env' | 'file'): TajoError {
  const from = source === 'env' ? 'TAJO_MASTER_KEY' : `the data directory's ${MASTER_KEY_FILE}`;
  return new TajoError('TAJO_CREDENTIALS_DECRYPT', `${why}: this master key (from ${from}) opens none of them`, { hint: wrongKeyFix(connectorId) });
}

/** What to do when the key at hand does not open the stored credentials (a re-install with it is refused too). */
const wrongKeyFix = (connectorId: string) =>
  `set TAJO_MASTER_KEY (or the data directory's ${MASTER_KEY_FILE}) to the key the stored credentials were sealed with, as on the other replicas; ` +
  `if that key is lost, \`tajo connectors uninstall ${connectorId}\` (drops the stored credentials and sync checkpoints; synced data stays) and install again with every credential`;

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a temp file (0600) and hard-links it into place: the key file never exists half-written. */
function createKeyFile(path: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    if (process.platform !== 'win32') chmodSync(tmp, 0o600);
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

export class Vault {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new TajoError('TAJO_MASTER_KEY_INVALID');
    this.key = Buffer.from(key);
  }

  /** Vault with the key from `TAJO_MASTER_KEY` or the data dir's key file (generated unless `create: false`). */
  static fromDataDir(opts: { dataDir: string; env?: NodeJS.ProcessEnv; create?: boolean }): Vault {
    return new Vault(loadMasterKey(opts).key);
  }

  seal(plaintext: string, slot: SecretSlot): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(slot));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
  }

  /** Wrong key, wrong slot or tampered data → TAJO_CREDENTIALS_DECRYPT (no secret in the message). */
  open(sealed: SealedSecret, slot: SecretSlot): string {
    try {
      const iv = Buffer.from(sealed.iv, 'base64');
      const tag = Buffer.from(sealed.tag, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== 16) throw new Error('malformed sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: 16 });
      decipher.setAAD(aad(slot));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new TajoError('TAJO_CREDENTIALS_DECRYPT', `Stored credential "${slot.name}" of connector "${slot.connectorId}" cannot be decrypted with this master key`, {
        hint: wrongKeyFix(slot.connectorId),
      });
    }
  }

  /**
   * A 32-byte key for one purpose, derived from the master key (HKDF-SHA256, `info` = `tajo/<purpose>`): stable for
   * as long as the master key is, never the master key itself, and a different purpose gives an unrelated key.
   */
  deriveKey(purpose: string): Buffer {
    if (purpose === '') throw new Error('deriveKey needs a purpose');
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `tajo/${purpose}`, KEY_BYTES));
  }

  /** Seals every entry of a credentials object for one connector. */
  sealAll(connectorId: string, secrets: Record<string, string>): Record<string, SealedSecret> {
    return Object.fromEntries(Object.entries(secrets).map(([name, value]) => [name, this.seal(value, { connectorId, name })]));
  }

  /** Opens every sealed credential of one connector (as returned by `Store.getSecrets`). */
  openAll(connectorId: string, sealed: Record<string, SealedSecret>): Record<string, string> {
    return Object.fromEntries(Object.entries(sealed).map(([name, value]) => [name, this.open(value, { connectorId, name })]));
  }
}

function aad(slot: SecretSlot): Buffer {
  return Buffer.from(JSON.stringify([AAD_PREFIX, slot.connectorId, slot.name]), 'utf8');
}
