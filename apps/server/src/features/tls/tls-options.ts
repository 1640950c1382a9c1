// TLS settings of the HTTPS listener: modern protocol/cipher policy, optional client certificates, and hot
// reload of the certificate files without a restart.

import { readFileSync, unwatchFile, watchFile, type Stats } from "node:fs";
import type { Server as TlsServer, SecureContextOptions, TLSSocket } from "node:tls";
import { MeshlogError, type Logger } from "@meshlog/core";
import type { ServerConfig } from "../../config/server-config.js";
import { SecurityErrors } from "../auth/errors.js";

/** TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are always enabled by Node). */
export const MODERN_CIPHERS = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

export interface HttpsServerOptions extends SecureContextOptions {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: "TLSv1.2";
  ciphers: string;
  honorCipherOrder: true;
}

/** True when the config enables TLS (cert and key set). */
export function tlsEnabled(config: ServerConfig): boolean {
  return config.tls.cert !== "" && config.tls.key !== "";
}

/**
 * Reads the configured PEM files into HTTPS server options, or undefined when TLS is off. Client
 * certificates are requested when tls.ca is set and required when tls.requireClientCert is true.
 * Throws SECURITY_TLS_INVALID naming the file that cannot be read.
 */
export function loadTlsOptions(config: ServerConfig): HttpsServerOptions | undefined {
  const { cert, key, ca, requireClientCert } = config.tls;
  if (cert === "" && key === "") {
    if (requireClientCert || ca !== "") throw new MeshlogError(SecurityErrors.SECURITY_TLS_INVALID, "tls.ca / tls.requireClientCert need tls.cert and tls.key");
    return undefined;
  }
  if (cert === "" || key === "") throw new MeshlogError(SecurityErrors.SECURITY_TLS_INVALID, "tls.cert and tls.key must be set together");
  if (requireClientCert && ca === "")
    throw new MeshlogError(SecurityErrors.SECURITY_TLS_INVALID, "tls.requireClientCert needs tls.ca (the CA that signs client certificates)");
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new MeshlogError(
        SecurityErrors.SECURITY_TLS_INVALID,
        `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  };
  return {
    key: read(key, "tls.key"),
    cert: read(cert, "tls.cert"),
    ...(ca !== "" ? { ca: read(ca, "tls.ca") } : {}),
    requestCert: ca !== "",
    rejectUnauthorized: requireClientCert,
    minVersion: "TLSv1.2",
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
  };
}

/**
 * Watches tls.cert, tls.key and tls.ca and swaps the server's secure context when they change (new
 * connections get the new certificate; open ones keep theirs). A bad replacement is logged and the old
 * context kept. Returns a function that reloads immediately and one that stops watching.
 */
export function watchTlsFiles(
  config: ServerConfig,
  server: Pick<TlsServer, "setSecureContext">,
  log: Logger,
  intervalMs = 1000,
): { reload(): boolean; stop(): void } {
  const files = [config.tls.cert, config.tls.key, config.tls.ca].filter((f) => f !== "");
  const reload = (): boolean => {
    try {
      const opts = loadTlsOptions(config);
      if (opts === undefined) return false;
      server.setSecureContext({
        key: opts.key,
        cert: opts.cert,
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        minVersion: opts.minVersion,
        ciphers: opts.ciphers,
        honorCipherOrder: true,
      });
      log.info("tls certificate reloaded", { cert: config.tls.cert });
      return true;
    } catch (err) {
      log.error("tls certificate reload failed; keeping the previous certificate", { err: err as Error, cert: config.tls.cert });
      return false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const onChange = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    // Debounce: cert and key are usually replaced one after the other.
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        reload();
      },
      Math.min(intervalMs, 250),
    );
  };
  for (const f of files) watchFile(f, { interval: intervalMs, persistent: false }, onChange);
  return {
    reload,
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      for (const f of files) unwatchFile(f, onChange);
    },
  };
}

/** Identities a verified client certificate presents: its subject CN and SAN entries ("DNS:x", "URI:x", "email:x"). */
export function clientCertIdentities(socket: unknown): string[] | undefined {
  const s = socket as Partial<TLSSocket> | undefined;
  if (s === undefined || typeof s.getPeerCertificate !== "function" || s.authorized !== true) return undefined;
  const cert = s.getPeerCertificate(false);
  if (cert === null || typeof cert !== "object" || Object.keys(cert).length === 0) return undefined;
  const out: string[] = [];
  const cn = (cert.subject as Record<string, string | string[]> | undefined)?.CN;
  for (const c of Array.isArray(cn) ? cn : cn !== undefined ? [cn] : []) out.push(c);
  for (const part of (cert.subjectaltname ?? "").split(",")) {
    const p = part.trim();
    if (p !== "") out.push(p.replace(/^IP Address:/, "IP:"));
  }
  return out;
}
