// Test support: a CA, a server certificate for 127.0.0.1 and client certificates (one from an untrusted CA).

import { readFileSync } from "node:fs";
import { issueCert, makeCa } from "@meshlog/testkit";

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

/** Writes every file into `dir` (a temp dir the caller removes). */
export function makeTestCerts(dir: string): TestCerts {
  const ca = makeCa(dir, "ca");
  const rogueCa = makeCa(dir, "rogue-ca");
  const server = issueCert(dir, ca, "server", "127.0.0.1", ["IP:127.0.0.1", "DNS:localhost"], "serverAuth");
  const client = issueCert(dir, ca, "client", "agent", [], "clientAuth");
  const rogue = issueCert(dir, rogueCa, "rogue", "agent", [], "clientAuth");
  return {
    dir,
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    rogueCert: rogue.cert,
    rogueKey: rogue.key,
    read: (path) => readFileSync(path),
  };
}
