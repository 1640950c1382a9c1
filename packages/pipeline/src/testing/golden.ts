// Test helper: golden files live in src beside the tests; compiled tests (in dist) read them from there.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The src folder matching a compiled test's folder (`.../dist/codecs/x/` → `.../src/codecs/x/`). */
export function srcDirOf(importMetaUrl: string, sub = "."): string {
  const dir = new URL(`${sub}/`, importMetaUrl).href;
  return fileURLToPath(dir.replace(/\/dist\//, "/src/"));
}

/** Lists `*.json` files in a src folder. */
export function goldenFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => `${dir}${f}`);
  } catch {
    return [];
  }
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Rewrites a golden file (only when MESHLOG_UPDATE_GOLDEN=1 is set by a developer). */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** JSON-safe view of a value: bigint as decimal string, undefined keys removed. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
