// Ed25519 checkpoint signer: a private key file (0600) in the keys folder, created at first start.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";
import { MeshlogError } from "@meshlog/core";
import type { FileSystem } from "../io/file-system.js";
import { LedgerErrors } from "./errors.js";

/** PKCS#8 PEM private key; must not be readable by group or others. */
export const SIGNING_KEY_FILE = "ledger-signing.key";
/** SPKI PEM public key of the current signing key (what verifiers trust by default). */
export const SIGNING_PUBLIC_KEY_FILE = "ledger-signing.pub";
/** Public keys of earlier signing keys stay trusted for the checkpoints they signed: `ledger-signing-<keyId>.pub`. */
export const RETIRED_PUBLIC_KEY_PATTERN = /^ledger-signing-[0-9a-f]{16}\.pub$/;
/** File name under which a retired public key is kept. */
export function retiredPublicKeyFile(keyId: string): string {
  return `ledger-signing-${keyId}.pub`;
}
/** Length in hex characters of a signing key id. */
export const SIGNING_KEY_ID_HEX = 16;

/** Raw 32-byte Ed25519 public key (the last 32 bytes of its SPKI DER encoding). */
function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: "der", type: "spki" });
  return der.subarray(der.length - 32);
}

/** Key id of an Ed25519 public key: the first 16 hex characters of SHA-256 of its raw 32 bytes. */
export function signingKeyIdOf(publicKeyPem: string): string {
  const key = createPublicKey(publicKeyPem);
  return createHash("sha256").update(rawPublicKey(key)).digest("hex").slice(0, SIGNING_KEY_ID_HEX);
}

function insecure(path: string, mode: number): MeshlogError {
  const m = (mode & 0o777).toString(8).padStart(4, "0");
  return new MeshlogError(
    LedgerErrors.LEDGER_SIGNING_KEY_INSECURE,
    `Refusing to use the checkpoint signing key "${path}": its mode ${m} lets group or others read it; run: chmod 600 ${path}`,
  );
}

/**
 * Signs ledger checkpoints with Ed25519 (node:crypto, no prehash). The private key lives in
 * `keysDir/ledger-signing.key` (PKCS#8 PEM, mode 0600, refused when group/world-readable); its public key
 * is written beside it as `ledger-signing.pub` so verifiers can trust it.
 */
export class Signer {
  readonly #fs: FileSystem;
  readonly #dir: string;
  #privateKey: KeyObject;
  #publicKeyPem: string;
  #keyId: string;

  private constructor(fs: FileSystem, dir: string, privateKey: KeyObject) {
    this.#fs = fs;
    this.#dir = dir;
    this.#privateKey = privateKey;
    this.#publicKeyPem = createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString();
    this.#keyId = signingKeyIdOf(this.#publicKeyPem);
  }

  /** Loads the signing key from `keysDir`, generating it at first start. */
  static async open(fs: FileSystem, keysDir: string): Promise<Signer> {
    await fs.mkdirp(keysDir, 0o700);
    const path = fs.join(keysDir, SIGNING_KEY_FILE);
    const pubPath = fs.join(keysDir, SIGNING_PUBLIC_KEY_FILE);
    const st = await fs.stat(path);
    let signer: Signer;
    if (st === undefined) {
      const { privateKey } = generateKeyPairSync("ed25519");
      signer = new Signer(fs, keysDir, privateKey);
      await fs.writeFileAtomic(path, Buffer.from(privateKey.export({ format: "pem", type: "pkcs8" }).toString()), 0o600);
    } else {
      if ((st.mode & 0o077) !== 0) throw insecure(path, st.mode);
      let key: KeyObject;
      try {
        key = createPrivateKey(await fs.readFile(path));
      } catch (cause) {
        throw new MeshlogError(LedgerErrors.LEDGER_SIGNING_KEY_INVALID, `Cannot read the checkpoint signing key "${path}": not a PEM private key`, { cause });
      }
      if (key.asymmetricKeyType !== "ed25519") {
        throw new MeshlogError(
          LedgerErrors.LEDGER_SIGNING_KEY_INVALID,
          `The checkpoint signing key "${path}" is ${String(key.asymmetricKeyType)}, not Ed25519`,
        );
      }
      signer = new Signer(fs, keysDir, key);
    }
    const pubStat = await fs.stat(pubPath);
    if (pubStat === undefined) {
      await fs.writeFileAtomic(pubPath, Buffer.from(signer.publicKeyPem()), 0o644);
    } else {
      const stored = (await fs.readFile(pubPath)).toString("utf8");
      let storedId: string;
      try {
        storedId = signingKeyIdOf(stored);
      } catch (cause) {
        throw new MeshlogError(LedgerErrors.LEDGER_SIGNING_KEY_INVALID, `Cannot read the checkpoint public key "${pubPath}"`, { cause });
      }
      const retiredPath = fs.join(keysDir, retiredPublicKeyFile(storedId));
      const retired = (await fs.stat(retiredPath)) === undefined ? undefined : (await fs.readFile(retiredPath)).toString("utf8");
      if (storedId !== signer.keyId() && retired === stored) {
        // A rotation stopped after the new private key was written: finish it.
        await fs.writeFileAtomic(pubPath, Buffer.from(signer.publicKeyPem()), 0o644);
      } else if (storedId !== signer.keyId()) {
        throw new MeshlogError(
          LedgerErrors.LEDGER_SIGNING_KEY_INVALID,
          `The public key "${pubPath}" (key id ${storedId}) does not belong to the signing key "${path}" (key id ${signer.keyId()})`,
        );
      }
    }
    return signer;
  }

  /**
   * Replaces the signing key with a new one. The old public key is kept as `ledger-signing-<oldKeyId>.pub`
   * (written first), so checkpoints it signed still verify under default trust. Later signatures use the
   * new key at once (ledgers holding this Signer need no reopen). Record the change as a ledger event.
   */
  async rotate(): Promise<{ previousKeyId: string; keyId: string }> {
    const previousKeyId = this.#keyId;
    await this.#fs.writeFileAtomic(this.#fs.join(this.#dir, retiredPublicKeyFile(previousKeyId)), Buffer.from(this.#publicKeyPem), 0o644);
    const { privateKey } = generateKeyPairSync("ed25519");
    const publicKeyPem = createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString();
    await this.#fs.writeFileAtomic(
      this.#fs.join(this.#dir, SIGNING_KEY_FILE),
      Buffer.from(privateKey.export({ format: "pem", type: "pkcs8" }).toString()),
      0o600,
    );
    await this.#fs.writeFileAtomic(this.#fs.join(this.#dir, SIGNING_PUBLIC_KEY_FILE), Buffer.from(publicKeyPem), 0o644);
    this.#privateKey = privateKey;
    this.#publicKeyPem = publicKeyPem;
    this.#keyId = signingKeyIdOf(publicKeyPem);
    return { previousKeyId, keyId: this.#keyId };
  }

  /** The public key, SPKI PEM. */
  publicKeyPem(): string {
    return this.#publicKeyPem;
  }

  /** Hex SHA-256 of the raw public key, first 16 characters. */
  keyId(): string {
    return this.#keyId;
  }

  /** Ed25519 signature (64 bytes) over `data`. */
  sign(data: Uint8Array): Buffer {
    return edSign(null, data, this.#privateKey);
  }

  /** True when `sig` is a valid Ed25519 signature of `data` by `publicKeyPem`; false on any malformed input. */
  static verify(publicKeyPem: string, data: Uint8Array, sig: Uint8Array): boolean {
    try {
      const key = createPublicKey(publicKeyPem);
      if (key.asymmetricKeyType !== "ed25519" || sig.length !== 64) return false;
      return edVerify(null, data, key, sig);
    } catch {
      return false;
    }
  }
}

/**
 * Public keys a verifier trusts by default: the current `ledger-signing.pub` and every retired
 * `ledger-signing-<keyId>.pub` in `keysDir`. Empty when the folder holds none.
 */
export async function trustedPublicKeysIn(fs: FileSystem, keysDir: string): Promise<string[]> {
  const names = (await fs.readdir(keysDir)).filter((n) => n === SIGNING_PUBLIC_KEY_FILE || RETIRED_PUBLIC_KEY_PATTERN.test(n)).sort();
  const out: string[] = [];
  for (const n of names) out.push((await fs.readFile(fs.join(keysDir, n))).toString("utf8"));
  return out;
}
