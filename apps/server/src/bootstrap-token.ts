// The bootstrap admin token: MESHLOG_ADMIN_TOKEN, else DATA/admin.token, else generated once (printed once, file 0600).

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TOKEN_PREFIX = "mlg_";

/** A new random token with the recognizable prefix. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function loadBootstrapToken(dataDir: string, configured: string, print: (line: string) => void): string {
  if (configured !== "") return configured;
  const file = join(dataDir, "admin.token");
  if (existsSync(file)) {
    const t = readFileSync(file, "utf8").trim();
    if (t !== "") return t;
  }
  const token = generateToken();
  writeFileSync(file, token + "\n", { mode: 0o600, flag: "w" });
  chmodSync(file, 0o600);
  print(`meshlog: generated the bootstrap admin token (shown once; also saved to ${file}, mode 0600):\n${token}\n`);
  return token;
}
