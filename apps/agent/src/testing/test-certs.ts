// Test support: a CA, a server certificate for 127.0.0.1 and client certificates, made with the openssl CLI.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCerts {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from a different, untrusted CA. */
  readonly rogueCert: string;
  readonly rogueKey: string;
  read(path: string): Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

function issue(dir: string, name: string, ca: string, cn: string, ext: string): void {
  openssl(
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`],
    dir,
  );
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    ],
    dir,
  );
}

/** Writes every file into `dir` (a temp dir the caller removes). */
export function makeTestCerts(dir: string): TestCerts {
  makeCa(dir, "ca");
  makeCa(dir, "rogue-ca");
  issue(dir, "server", "ca", "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  issue(dir, "client", "ca", "agent", "extendedKeyUsage=clientAuth\n");
  issue(dir, "rogue", "rogue-ca", "agent", "extendedKeyUsage=clientAuth\n");
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    rogueCert: p("rogue.crt"),
    rogueKey: p("rogue.key"),
    read: (path) => readFileSync(path),
  };
}
