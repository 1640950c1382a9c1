// Throw-away certificates for TLS tests: a CA and certificates it signs, made with the openssl CLI in a folder.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of a certificate and its private key (PEM). */
export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

const openssl = (dir: string, args: string[]): void => {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
};

/** Creates a self-signed CA `<name>.crt`/`<name>.key` in `dir` (valid 2 days). */
export function makeCa(dir: string, name = "ca"): CertPair {
  openssl(dir, ["req", "-x509", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=meshlog test ${name}`]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * Issues `<name>.crt`/`<name>.key` in `dir`, signed by `ca`, with common name `cn`, the given subject alternative
 * names (`IP:127.0.0.1`, `DNS:localhost`; none for most client certificates) and extended key usage.
 */
export function issueCert(dir: string, ca: CertPair, name: string, cn: string, sans: readonly string[], usage: "serverAuth" | "clientAuth"): CertPair {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${sans.length > 0 ? `subjectAltName=${sans.join(",")}\n` : ""}extendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  openssl(dir, ["req", ...EC_KEY, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    ext,
  ]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
