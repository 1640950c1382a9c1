// Minimal file globbing for the tail source: *, ?, [set], {a,b} within a segment, ** across folders.

import { readdir } from "node:fs/promises";
import { isAbsolute, join, resolve, sep } from "node:path";

/** Compiles one path segment pattern to a RegExp; `*` and `?` never match "/". */
export function segmentRegExp(segment: string): RegExp {
  let re = "";
  let depth = 0;
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) re += "\\[";
      else {
        let set = segment.slice(i + 1, close).replace(/\\/g, "\\\\");
        if (set.startsWith("!")) set = "^" + set.slice(1);
        re += `[${set}]`;
        i = close;
      }
    } else if (ch === "{") {
      depth++;
      re += "(?:";
    } else if (ch === "}" && depth > 0) {
      depth--;
      re += ")";
    } else if (ch === "," && depth > 0) re += "|";
    else re += ch.replace(/[.+^$()|\\]/g, "\\$&");
  }
  while (depth-- > 0) re += ")";
  return new RegExp(`^${re}$`);
}

function hasMagic(segment: string): boolean {
  return /[*?[{]/.test(segment);
}

/** Lists files matching an absolute (or cwd-relative) pattern; unreadable folders are skipped. */
export async function expandGlob(pattern: string, maxEntries = 100_000): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const parts = abs.split(sep).filter((p) => p !== "");
  const out = new Set<string>();
  let visited = 0;
  const walk = async (dir: string, i: number): Promise<void> => {
    if (visited++ > maxEntries) return;
    if (i === parts.length) return;
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    if (part === "**") {
      await walk(dir, i + 1);
      for (const e of await list(dir)) if (e.isDirectory()) await walk(join(dir, e.name), i);
      return;
    }
    if (!hasMagic(part)) {
      const p = join(dir, part);
      if (last) {
        const entries = await list(dir);
        if (entries.some((e) => e.name === part && !e.isDirectory())) out.add(p);
      } else await walk(p, i + 1);
      return;
    }
    const re = segmentRegExp(part);
    for (const e of await list(dir)) {
      if (!re.test(e.name)) continue;
      if (last) {
        if (e.isFile() || e.isSymbolicLink()) out.add(join(dir, e.name));
      } else if (e.isDirectory() || e.isSymbolicLink()) await walk(join(dir, e.name), i + 1);
    }
  };
  await walk(sep, 0);
  return [...out].sort();
}

async function list(dir: string): Promise<import("node:fs").Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** True when `path` matches `pattern` (used for exclude lists). */
export function matchesGlob(path: string, pattern: string): boolean {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const pp = abs.split(sep).filter((p) => p !== "");
  const sp = path.split(sep).filter((p) => p !== "");
  const m = (i: number, j: number): boolean => {
    if (i === pp.length) return j === sp.length;
    const part = pp[i] as string;
    if (part === "**") {
      for (let k = j; k <= sp.length; k++) if (m(i + 1, k)) return true;
      return false;
    }
    if (j === sp.length) return false;
    return segmentRegExp(part).test(sp[j] as string) && m(i + 1, j + 1);
  };
  return m(0, 0);
}
