// `meshlog report soc2|verify`: downloads a signed SOC 2 evidence report, and verifies one (through the server or offline).

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDurationNs } from "@meshlog/core";
import {
  canonicalJsonBytes,
  dataLayout,
  leafHash,
  MerkleTree,
  NodeFileSystem,
  trustedPublicKeysIn,
  verifyLedger,
  verifyReport,
  type AnchorLedgerView,
  type ReportCheck,
} from "@meshlog/storage";
import { checkFlags, flag, parseArgs, type ParsedArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";
import { clientFor, CONNECTION_FLAGS } from "./token.js";

const USAGE =
  "usage: meshlog report soc2 [--since 90d | --start RFC3339] [--end RFC3339] [--tenant T] [--format json|html] [--verify auto|run|latest] [--out FILE]\n" +
  "       meshlog report verify FILE [--data DIR [--offline] [--trusted-key PEMFILE ...]] [--output text|json]\n" +
  "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n" +
  "verify checks the Ed25519 signature by a trusted ledger key and that the audit ledger records the report's hash:\n" +
  "through the server (--addr), or offline against the data folder of --data (when no --addr is given, or with --offline).\n";

const AUDIT_TENANT = "_audit";

/** The server URL and token, resolved like every admin command (see clientFor). */
function connection(p: ParsedArgs, io: CliIo): { addr: string; token: string } {
  clientFor(p, io); // same validation and error messages
  const addr = flag(p, "addr") ?? io.env.MESHLOG_ADDR ?? "http://127.0.0.1:3100";
  const data = flag(p, "data");
  let token = flag(p, "token") ?? io.env.MESHLOG_TOKEN;
  if ((token === undefined || token === "") && data !== undefined) token = readFileSync(join(data, "admin.token"), "utf8").trim();
  if (token === undefined || token === "") token = io.env.MESHLOG_ADMIN_TOKEN;
  if (token === undefined || token === "") {
    const file = join(io.env.MESHLOG_DATA !== undefined && io.env.MESHLOG_DATA !== "" ? io.env.MESHLOG_DATA : "data", "admin.token");
    if (existsSync(file)) token = readFileSync(file, "utf8").trim();
  }
  return { addr, token: token ?? "" };
}

async function soc2(p: ParsedArgs, io: CliIo): Promise<number> {
  checkFlags(p, [...CONNECTION_FLAGS, "since", "start", "end", "tenant", "format", "verify", "out"]);
  const format = flag(p, "format") ?? "json";
  if (format !== "json" && format !== "html") throw new Error(`--format must be json or html, not ${format}`);
  const q = new URLSearchParams({ format });
  const since = flag(p, "since");
  const start = flag(p, "start");
  const end = flag(p, "end");
  if (since !== undefined && start !== undefined) throw new Error("give --since or --start, not both");
  if (since !== undefined) {
    // The period is the `since` before its end: --end when given, else now.
    const endMs = end === undefined ? Date.now() : Date.parse(end);
    if (Number.isNaN(endMs)) throw new Error(`--end must be an RFC 3339 time, not ${end}`);
    q.set("start", new Date(endMs - Number(parseDurationNs(since, "--since") / 1_000_000n)).toISOString());
  }
  if (start !== undefined) q.set("start", start);
  if (end !== undefined) q.set("end", end);
  for (const k of ["tenant", "verify"]) {
    const v = flag(p, k);
    if (v !== undefined) q.set(k, v);
  }
  const { addr, token } = connection(p, io);
  const res = await fetch(new URL(`/api/v1/reports/soc2?${q.toString()}`, addr), { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      /* not JSON */
    }
    throw new Error(`the server answered ${res.status}: ${message.slice(0, 500)}`);
  }
  const out = flag(p, "out");
  if (out === undefined) io.out(text.endsWith("\n") ? text : text + "\n");
  else {
    writeFileSync(out, text, { mode: 0o600 });
    const id = /meshlog-soc2-([A-Za-z0-9_-]+)\./.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? "";
    io.err(`report ${id} written to ${resolve(out)}\n`);
  }
  return 0;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Offline verification against DATA: the checks of POST /api/v1/reports/verify (the same verifyReport), with the
 * audit ledger read from disk and verified first (a ledger that does not verify anchors nothing).
 */
export async function verifyReportOffline(r: Record<string, unknown>, dataDir: string, trustedFiles: readonly string[] | undefined): Promise<ReportCheck[]> {
  const fs = new NodeFileSystem();
  const layout = dataLayout(dataDir, (...x) => fs.join(...x));
  const keys = trustedFiles !== undefined ? trustedFiles.map((f) => readFileSync(f, "utf8")) : await trustedPublicKeysIn(fs, layout.keysDir);
  const lv = await verifyLedger(fs, layout.ledgerDir(AUDIT_TENANT), AUDIT_TENANT, { trustedPublicKeys: keys });
  const entries = lv.entries;
  const tree = new MerkleTree();
  for (const x of entries) tree.append(leafHash(canonicalJsonBytes(x)));
  const view: AnchorLedgerView = {
    size: () => entries.length,
    entry: (i) => entries[i],
    leafHash: (i) => tree.leaf(i).toString("hex"),
    inclusionProof: (i, n) => tree.inclusionProof(i, n).map((h) => h.toString("hex")),
  };
  const { checks } = verifyReport(r, keys, AUDIT_TENANT, view);
  if (lv.ok) return [...checks];
  const problem = `the ${AUDIT_TENANT} ledger does not verify: ${lv.problems.slice(0, 3).join("; ")}`;
  return checks.map((c) => (c.name === "anchor" ? { name: "anchor", ok: false, message: problem } : c));
}

async function verify(p: ParsedArgs, io: CliIo): Promise<number> {
  checkFlags(p, [...CONNECTION_FLAGS, "trusted-key", "output", "offline"]);
  const file = p.positionals[1];
  if (file === undefined) throw new Error("report verify needs the report file (JSON)");
  const output = flag(p, "output") ?? "text";
  if (output !== "text" && output !== "json") throw new Error(`--output must be text or json, not ${output}`);
  let report: unknown;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read ${file} as a JSON report (verify the JSON form, not the HTML page): ${(e as Error).message}`);
  }
  const data = flag(p, "data");
  let checks: ReportCheck[];
  if (p.bools.has("offline") && data === undefined) throw new Error("--offline needs --data DIR (the server's data folder)");
  // Offline when asked, or when a data folder is given without a server address.
  if (data !== undefined && (p.bools.has("offline") || flag(p, "addr") === undefined)) {
    const format = (message: string): ReportCheck[] => [{ name: "format", ok: false, message }];
    checks = isObj(report)
      ? await verifyReportOffline(report, resolve(data), p.flags.get("trusted-key")).catch((e: unknown) =>
          format(`the report has malformed fields: ${(e as Error).message.slice(0, 200)}`),
        )
      : format("the report must be a JSON object");
  } else {
    const res = await clientFor(p, io).request<{ checks: ReportCheck[] }>("POST", "/api/v1/reports/verify", { body: report });
    checks = res.checks;
  }
  const ok = checks.every((c) => c.ok);
  if (output === "json") io.out(JSON.stringify({ ok, checks }, null, 2) + "\n");
  else {
    io.out(ok ? `verified: ${file}\n` : `REPORT VERIFICATION FAILED: ${file}\n`);
    for (const c of checks) io.out(`- ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.message}\n`);
  }
  return ok ? 0 : 1;
}

export const reportCommand: Command = {
  name: "report",
  summary: "download a signed SOC 2 evidence report (JSON or HTML), or verify one",
  async run(args, io) {
    const p = parseArgs(args, ["help", "offline"]);
    const sub = p.positionals[0];
    if (p.bools.has("help") || (sub !== "soc2" && sub !== "verify")) {
      (p.bools.has("help") ? io.out : io.err)(USAGE);
      return p.bools.has("help") ? 0 : 2;
    }
    return sub === "soc2" ? soc2(p, io) : verify(p, io);
  },
};
