// TLS server options for socket receivers from the shared `tls` config (certificate, key, optional client CA).

import { readFileSync } from "node:fs";
import type { TlsOptions } from "node:tls";
import { CoreErrors, MeshlogError } from "@meshlog/core";
import type { ServerConfig } from "../../config/server-config.js";

/**
 * Reads tls.cert/tls.key (and tls.ca) for a receiver named `what`. With tls.ca set, client certificates are
 * requested and verified against it; with tls.requireClientCert, connections without a valid one are refused.
 */
export function receiverTlsOptions(config: ServerConfig, what: string): TlsOptions {
  const { cert, key, ca, requireClientCert } = config.tls;
  if (cert === "" || key === "") {
    throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${what} needs TLS but tls.cert and tls.key are not both set`);
  }
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${what}: cannot read ${field} ${file}: ${(err as Error).message}`);
    }
  };
  if (requireClientCert && ca === "") {
    throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${what}: tls.requireClientCert needs tls.ca to verify client certificates`);
  }
  const opts: TlsOptions = { cert: read(cert, "tls.cert"), key: read(key, "tls.key"), minVersion: "TLSv1.2" };
  if (ca !== "") {
    opts.ca = read(ca, "tls.ca");
    opts.requestCert = true;
    opts.rejectUnauthorized = requireClientCert;
  }
  return opts;
}
