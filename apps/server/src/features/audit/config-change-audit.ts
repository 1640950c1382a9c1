// Audits configuration changes across restarts: compares the effective config (secrets masked) with the
// one recorded at the previous start (DATA/security/config-state.json) and records what changed.

import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ServerConfig } from "../../config/server-config.js";
import { readPrivateJson, writePrivateJson } from "../auth/secure-file.js";
import type { AuditSink } from "./audit-sink.js";

const SECRET_KEY = /token|secret|password|sharedkey|masterkey|apikey/i;

/** The config as flat `path -> JSON value`, with secret values replaced by a short fingerprint. */
export function flattenConfig(config: ServerConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, path: string): void => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) out[path] = "{}";
      for (const [k, x] of entries) walk(x, path === "" ? k : `${path}.${k}`);
      return;
    }
    const text = JSON.stringify(v) ?? "null";
    out[path] = SECRET_KEY.test(path.replace(/\./g, "")) && v !== "" ? `sha256:${createHash("sha256").update(text).digest("hex").slice(0, 12)}` : text;
  };
  walk(config, "");
  return out;
}

/** Records "config.change" (with the changed keys) or "config.load" (unchanged) and stores the new state. */
export function auditConfigChange(dataDir: string, config: ServerConfig, audit: AuditSink): { changed: string[] } {
  const file = join(dataDir, "security", "config-state.json");
  const now = flattenConfig(config);
  const prev = (readPrivateJson(file) as { config?: Record<string, string> } | undefined)?.config;
  const keys = new Set([...Object.keys(now), ...Object.keys(prev ?? {})]);
  const changed = prev === undefined ? [] : [...keys].filter((k) => prev[k] !== now[k]).sort();
  const hash = createHash("sha256")
    .update(JSON.stringify(Object.entries(now).sort()))
    .digest("hex");
  if (prev === undefined || changed.length > 0) {
    const detail =
      prev === undefined ? "initial configuration" : changed.map((k) => `${k}: ${clip(prev[k] ?? "(unset)")} -> ${clip(now[k] ?? "(unset)")}`).join("; ");
    audit.record({
      action: "config.change",
      principal: "system",
      tenant: "",
      result: "ok",
      details: { changed: prev === undefined ? "*" : changed.join(","), summary: clip(detail, 2000), hash },
    });
    writePrivateJson(file, { version: 1, hash, config: now });
  } else {
    audit.record({ action: "config.load", principal: "system", tenant: "", result: "ok", details: { hash } });
  }
  return { changed };
}

function clip(s: string, n = 120): string {
  return s.length > n ? s.slice(0, n) + "…" : s;
}
