// TLS server options for socket receivers: the HTTPS listener's policy (features/tls), required to be configured.

import type { TlsOptions } from "node:tls";
import { CoreErrors, MeshlogError } from "@meshlog/core";
import type { ServerConfig } from "../../config/server-config.js";
import { loadTlsOptions } from "../../features/tls/tls-options.js";

/**
 * TLS options for the receiver named `what` (tls.cert/tls.key; with tls.ca client certificates are requested
 * and verified, with tls.requireClientCert they are required). Throws CONFIG_INVALID when TLS is not configured.
 */
export function receiverTlsOptions(config: ServerConfig, what: string): TlsOptions {
  const opts = loadTlsOptions(config);
  if (opts === undefined) throw new MeshlogError(CoreErrors.CONFIG_INVALID, `${what} needs TLS but tls.cert and tls.key are not set`);
  return opts;
}
