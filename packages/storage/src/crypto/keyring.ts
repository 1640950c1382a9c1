// Envelope encryption key ring: master key -> KEK per (tenant, retention class, month) -> data key per block.

import { randomBytes } from "node:crypto";
import { MeshlogError, formatRfc3339Ns, isValidTenant, systemClock, type Clock } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import { StorageErrors } from "../errors.js";
import { openAesGcm, sealAesGcm } from "./aead.js";
import { CryptoErrors } from "./errors.js";
import {
  KEY_RING_FILE,
  MASTER_KEY_BYTES,
  MASTER_KEY_FILE,
  MASTER_KEY_NEXT_FILE,
  decodeKeyRing,
  decodeMasterKeyFile,
  encodeKeyRing,
  encodeMasterKeyFile,
  masterKeyId,
  type KekRecord,
  type KeyRingBody,
} from "./key-files.js";

/** Metadata of one key-encryption key (never its material). */
export interface KekInfo {
  /** "kek:<tenant>:<class>:<yyyy-mm>:v<version>" */
  readonly id: string;
  readonly tenant: string;
  /** Retention class. */
  readonly class: string;
  /** Same as `class`. */
  readonly retentionClass: string;
  /** "yyyy-mm" */
  readonly period: string;
  readonly version: number;
  /** RFC 3339, nanoseconds, UTC. */
  readonly createdAt: string;
  readonly destroyedAt?: string;
}

export interface KeyRingOptions {
  /** 32-byte master key (from MESHLOG_MASTER_KEY, see parseMasterKey); else keysDir/master.key is used. */
  readonly masterKey?: Buffer;
  readonly clock?: Clock;
}

const RETENTION_CLASS = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

function badArgument(message: string): MeshlogError {
  return new MeshlogError(CryptoErrors.KEY_ARGUMENT_INVALID, message);
}

function checkMasterKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== MASTER_KEY_BYTES) {
    throw new MeshlogError(CryptoErrors.KEY_MASTER_INVALID, `${what} must be ${MASTER_KEY_BYTES} bytes, got ${Buffer.isBuffer(key) ? key.length : typeof key}`);
  }
}

/**
 * The key ring of a data folder (DESIGN §3 "Keys"). KEKs are random 256-bit keys, stored only wrapped
 * (AES-256-GCM under the master key, KEK id as AAD) in `keyring.bin`, rewritten atomically on every change.
 * Data keys are random 256-bit keys returned wrapped under their KEK (AAD = KEK id) for the block header.
 * destroyKek deletes the wrapped KEK from the ring (crypto-shredding): every data key under it, in every
 * copy of every block, becomes undecryptable. Mutations are serialized; unwrapped KEKs are cached.
 */
export class KeyRing {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #clock: Clock;
  readonly #fromFile: boolean;
  #master: Buffer;
  #ring: KeyRingBody;
  readonly #cache = new Map<string, Buffer>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(fs: FileSystem, dir: string, clock: Clock, master: Buffer, fromFile: boolean, ring: KeyRingBody) {
    this.#fs = fs;
    this.#dir = dir;
    this.#clock = clock;
    this.#master = master;
    this.#fromFile = fromFile;
    this.#ring = ring;
  }

  /**
   * Opens the ring in `keysDir`. Master key: `opts.masterKey`, else `keysDir/master.key`, generated at first
   * start with mode 0600 and refused (KEY_MASTER_INSECURE, naming the chmod to run) when group or others can
   * read it. A master key that is not the one the ring is wrapped under fails with KEY_MASTER_MISMATCH.
   */
  static async open(fs: FileSystem, keysDir: string, opts: KeyRingOptions = {}): Promise<KeyRing> {
    await fs.mkdirp(keysDir, 0o700);
    const ringPath = fs.join(keysDir, KEY_RING_FILE);
    const ringData = (await fs.stat(ringPath)) === undefined ? undefined : await fs.readFile(ringPath);
    const ring = ringData === undefined ? undefined : decodeKeyRing(ringData, ringPath);
    let master: Buffer;
    const fromFile = opts.masterKey === undefined;
    if (opts.masterKey !== undefined) {
      checkMasterKey(opts.masterKey, "The master key");
      master = Buffer.from(opts.masterKey);
    } else {
      master = await KeyRing.#masterFromFile(fs, keysDir, ring);
    }
    const id = masterKeyId(master);
    if (ring !== undefined && ring.masterKeyId !== id) {
      const source = fromFile ? `the file "${fs.join(keysDir, MASTER_KEY_FILE)}"` : "MESHLOG_MASTER_KEY";
      const hint =
        ring.previousMasterKeyId === id
          ? "this is the master key from before the last rotation; use the new one"
          : "use the master key the ring was created with (MESHLOG_MASTER_KEY or the original master.key)";
      throw new MeshlogError(
        CryptoErrors.KEY_MASTER_MISMATCH,
        `The master key from ${source} (fingerprint ${id}) does not match the key ring "${ringPath}" (wrapped under fingerprint ${ring.masterKeyId}): ${hint}`,
      );
    }
    const body: KeyRingBody = ring ?? { masterKeyId: id, keks: [] };
    const kr = new KeyRing(fs, keysDir, opts.clock ?? systemClock, master, fromFile, body);
    if (ring === undefined) await kr.#persist();
    return kr;
  }

  static async #masterFromFile(fs: FileSystem, dir: string, ring: KeyRingBody | undefined): Promise<Buffer> {
    const path = fs.join(dir, MASTER_KEY_FILE);
    const nextPath = fs.join(dir, MASTER_KEY_NEXT_FILE);
    const next = await fs.stat(nextPath);
    if (next !== undefined) {
      // A rotation was interrupted: finish it if the ring was already rewritten, else roll it back.
      const nextKey = decodeMasterKeyFile(await fs.readFile(nextPath), nextPath);
      if (ring !== undefined && ring.masterKeyId === masterKeyId(nextKey)) await fs.rename(nextPath, path);
      else await fs.unlink(nextPath);
      await fs.syncDir(dir);
    }
    const st = await fs.stat(path);
    if (st === undefined) {
      if (ring !== undefined) {
        throw new MeshlogError(
          CryptoErrors.KEY_MASTER_MISMATCH,
          `The key ring "${fs.join(dir, KEY_RING_FILE)}" exists but its master key "${path}" is missing: restore it or set MESHLOG_MASTER_KEY`,
        );
      }
      const key = randomBytes(MASTER_KEY_BYTES);
      await fs.writeFileAtomic(path, encodeMasterKeyFile(key), 0o600);
      return key;
    }
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
      throw new MeshlogError(
        CryptoErrors.KEY_MASTER_INSECURE,
        `Refusing to use the master key file "${path}": its mode ${mode} lets group or others read it; run: chmod 600 ${path}`,
      );
    }
    return decodeMasterKeyFile(await fs.readFile(path), path);
  }

  /**
   * A fresh data key for one block, under the current KEK of (tenant, retention class, month), creating
   * that KEK when needed (also when the period's earlier KEK was destroyed: the new one gets version + 1).
   */
  newDataKey(tenant: string, retentionClass: string, periodMonth: string): Promise<{ keyId: string; dataKey: Buffer; wrappedKey: Buffer }> {
    if (!isValidTenant(tenant)) return Promise.reject(badArgument(`Cannot create a data key: invalid tenant "${tenant}"`));
    if (!RETENTION_CLASS.test(retentionClass))
      return Promise.reject(badArgument(`Cannot create a data key: invalid retention class "${retentionClass}" (expected ${RETENTION_CLASS.source})`));
    if (!PERIOD.test(periodMonth)) return Promise.reject(badArgument(`Cannot create a data key: invalid period "${periodMonth}" (expected yyyy-mm)`));
    return this.#serialize(async () => {
      const rec = await this.#currentKek(tenant, retentionClass, periodMonth);
      const kek = this.#unwrapKek(rec);
      const dataKey = randomBytes(32);
      const wrappedKey = sealAesGcm(kek, dataKey, Buffer.from(rec.id, "utf8"));
      return { keyId: rec.id, dataKey, wrappedKey };
    });
  }

  /**
   * Unwraps a block's data key. Throws KEY_UNAVAILABLE when the KEK is unknown or was destroyed, and
   * BLOCK_CORRUPT when the wrapped key fails authentication (altered header or another KEK's key).
   */
  async unwrapDataKey(keyId: string, wrappedKey: Buffer): Promise<Buffer> {
    const rec = this.#ring.keks.find((k) => k.id === keyId);
    if (rec === undefined) {
      throw new MeshlogError(StorageErrors.KEY_UNAVAILABLE, `Key "${keyId}" is not in the key ring "${this.#ringPath()}"`, { details: { keyId } });
    }
    if (rec.destroyedAt !== undefined) {
      throw new MeshlogError(
        StorageErrors.KEY_UNAVAILABLE,
        `Key "${keyId}" was destroyed at ${rec.destroyedAt}; data encrypted under it can no longer be decrypted`,
        {
          details: { keyId, destroyedAt: rec.destroyedAt },
        },
      );
    }
    const kek = this.#unwrapKek(rec);
    try {
      return openAesGcm(kek, wrappedKey, Buffer.from(keyId, "utf8"));
    } catch (cause) {
      throw new MeshlogError(
        StorageErrors.BLOCK_CORRUPT,
        `The wrapped data key for "${keyId}" failed authentication (altered, or not wrapped under this key)`,
        { cause },
      );
    }
  }

  /**
   * Crypto-shreds a KEK: removes its wrapped material from the ring (rewritten atomically and fsynced),
   * deletes stray copies of the ring in the keys folder and drops the cached key. Idempotent.
   */
  destroyKek(keyId: string): Promise<void> {
    return this.#serialize(async () => {
      const rec = this.#ring.keks.find((k) => k.id === keyId);
      if (rec === undefined)
        throw new MeshlogError(StorageErrors.KEY_UNAVAILABLE, `Cannot destroy key "${keyId}": it is not in the key ring "${this.#ringPath()}"`);
      if (rec.destroyedAt !== undefined) return;
      const { wrapped: _dropped, ...rest } = rec;
      const keks = this.#ring.keks.map((k) => (k === rec ? { ...rest, destroyedAt: formatRfc3339Ns(this.#clock.nowNs()) } : k));
      await this.#persist({ ...this.#ring, keks });
      this.#cache.get(keyId)?.fill(0);
      this.#cache.delete(keyId);
      await this.#sweepStrayCopies();
    });
  }

  async listKeks(): Promise<KekInfo[]> {
    return this.#ring.keks.map((k) => ({
      id: k.id,
      tenant: k.tenant,
      class: k.class,
      retentionClass: k.class,
      period: k.period,
      version: k.version,
      createdAt: k.createdAt,
      ...(k.destroyedAt === undefined ? {} : { destroyedAt: k.destroyedAt }),
    }));
  }

  /** Fingerprint of the master key in use (safe to log). */
  masterKeyId(): string {
    return this.#ring.masterKeyId;
  }

  /**
   * Re-wraps every live KEK under `newMasterKey`; blocks and data keys are untouched. With a file master
   * key the new key is written to master.key.next first and renamed over master.key after the ring, so a
   * crash at any point leaves a consistent pair. With MESHLOG_MASTER_KEY the operator must switch the
   * variable to the new key before the next start.
   */
  rotateMaster(newMasterKey: Buffer): Promise<void> {
    return this.#serialize(async () => {
      checkMasterKey(newMasterKey, "The new master key");
      if (newMasterKey.equals(this.#master)) return;
      const next = Buffer.from(newMasterKey);
      const keks = this.#ring.keks.map((k) => {
        if (k.wrapped === undefined) return k;
        const kek = this.#unwrapKek(k);
        return { ...k, wrapped: sealAesGcm(next, kek, Buffer.from(k.id, "utf8")).toString("base64") };
      });
      const body: KeyRingBody = { masterKeyId: masterKeyId(next), previousMasterKeyId: this.#ring.masterKeyId, keks };
      const masterPath = this.#fs.join(this.#dir, MASTER_KEY_FILE);
      const nextPath = this.#fs.join(this.#dir, MASTER_KEY_NEXT_FILE);
      if (this.#fromFile) await this.#fs.writeFileAtomic(nextPath, encodeMasterKeyFile(next), 0o600);
      await this.#persist(body);
      if (this.#fromFile) {
        await this.#fs.rename(nextPath, masterPath);
        await this.#fs.syncDir(this.#dir);
      }
      this.#master.fill(0);
      this.#master = next;
      await this.#sweepStrayCopies();
    });
  }

  #ringPath(): string {
    return this.#fs.join(this.#dir, KEY_RING_FILE);
  }

  async #currentKek(tenant: string, cls: string, period: string): Promise<KekRecord> {
    const same = this.#ring.keks.filter((k) => k.tenant === tenant && k.class === cls && k.period === period);
    const live = same.find((k) => k.destroyedAt === undefined);
    if (live !== undefined) return live;
    const version = same.reduce((v, k) => Math.max(v, k.version), 0) + 1;
    const id = `kek:${tenant}:${cls}:${period}:v${version}`;
    const kek = randomBytes(32);
    const rec: KekRecord = {
      id,
      tenant,
      class: cls,
      period,
      version,
      createdAt: formatRfc3339Ns(this.#clock.nowNs()),
      wrapped: sealAesGcm(this.#master, kek, Buffer.from(id, "utf8")).toString("base64"),
    };
    await this.#persist({ ...this.#ring, keks: [...this.#ring.keks, rec] });
    this.#cache.set(id, kek);
    return rec;
  }

  #unwrapKek(rec: KekRecord): Buffer {
    const cached = this.#cache.get(rec.id);
    if (cached !== undefined) return cached;
    if (rec.wrapped === undefined) throw new MeshlogError(StorageErrors.KEY_UNAVAILABLE, `Key "${rec.id}" was destroyed at ${rec.destroyedAt ?? "?"}`);
    let kek: Buffer;
    try {
      kek = openAesGcm(this.#master, Buffer.from(rec.wrapped, "base64"), Buffer.from(rec.id, "utf8"));
    } catch (cause) {
      throw new MeshlogError(
        CryptoErrors.KEY_RING_CORRUPT,
        `Key ring "${this.#ringPath()}": the wrapped key "${rec.id}" does not unwrap under the master key`,
        { cause },
      );
    }
    this.#cache.set(rec.id, kek);
    return kek;
  }

  /** Writes the ring atomically (temp file, fsync, rename, directory fsync), then adopts it. */
  async #persist(body: KeyRingBody = this.#ring): Promise<void> {
    await this.#fs.writeFileAtomic(this.#ringPath(), encodeKeyRing(body), 0o600);
    this.#ring = body;
  }

  /** Removes leftovers that may hold old ring content: temp files of interrupted writes, backups. */
  async #sweepStrayCopies(): Promise<void> {
    let removed = false;
    for (const name of await this.#fs.readdir(this.#dir)) {
      if (name !== KEY_RING_FILE && name.includes(KEY_RING_FILE)) {
        await this.#fs.unlink(this.#fs.join(this.#dir, name));
        removed = true;
      }
    }
    if (removed) await this.#fs.syncDir(this.#dir);
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
