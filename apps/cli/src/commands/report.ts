// `meshlog report soc2|verify`: downloads a signed SOC 2 evidence report, and verifies one (through the server or offline).

import { createHash, createPublicKey } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDurationNs } from "@meshlog/core";
import {
  canonicalJsonBytes,
  checkpointBody,
  dataLayout,
  leafHash,
  ledgerOrigin,
  MerkleTree,
  NodeFileSystem,
  Signer,
  signingKeyIdOf,
  trustedPublicKeysIn,
  verifyInclusion,
  verifyLedger,
  type Checkpoint,
  type LedgerEntry,
} from "@meshlog/storage";
import { checkFlags, flag, parseArgs, type ParsedArgs } from "../args.js";
import type { CliIo, Command } from "../command.js";
import { clientFor, CONNECTION_FLAGS } from "./token.js";

const USAGE =
  "usage: meshlog report soc2 [--since 90d | --start RFC3339 [--end RFC3339]] [--tenant T] [--format json|html] [--verify auto|run|latest] [--out FILE]\n" +
  "       meshlog report verify FILE [--data DIR [--offline] [--trusted-key PEMFILE ...]] [--output text|json]\n" +
  "common: --addr URL (env MESHLOG_ADDR) --token T (env MESHLOG_TOKEN) --data DIR (uses DIR/admin.token)\n" +
  "verify checks the Ed25519 signature by a trusted ledger key and that the audit ledger records the report's hash:\n" +
  "through the server (--addr), or offline against the data folder of --data (when no --addr is given, or with --offline).\n";

const AUDIT_TENANT = "_audit";

export interface ReportCheck {
  name: "format" | "signature" | "anchor";
  ok: boolean;
  message: string;
}

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
  if (since !== undefined) q.set("start", new Date(Date.now() - Number(parseDurationNs(since, "--since") / 1_000_000n)).toISOString());
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

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);
const sha256Hex = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** Offline verification against DATA: the same checks as POST /api/v1/reports/verify, reading the audit ledger from disk. */
export async function verifyReportOffline(r: Record<string, any>, dataDir: string, trustedFiles: readonly string[] | undefined): Promise<ReportCheck[]> {
  const fs = new NodeFileSystem();
  const layout = dataLayout(dataDir, (...x) => fs.join(...x));
  const keys = trustedFiles !== undefined ? trustedFiles.map((f) => readFileSync(f, "utf8")) : await trustedPublicKeysIn(fs, layout.keysDir);
  const trusted = new Map(keys.map((k) => [signingKeyIdOf(k), k]));
  if (
    !isObj(r.signature) ||
    !isObj(r.anchor) ||
    !isObj(r.anchor.checkpoint) ||
    !Array.isArray(r.anchor.inclusionProof) ||
    typeof r.signature.publicKey !== "string"
  )
    return [{ name: "format", ok: false, message: "not a meshlog report: signature or anchor missing" }];
  const { signature, ...unsigned } = r;
  const { anchor, ...content } = unsigned;
  const checks: ReportCheck[] = [];
  let keyId = "";
  try {
    keyId = signingKeyIdOf(signature.publicKey as string);
  } catch {
    /* reported below */
  }
  // The key and the signature must be in the exact text form the server writes (lenient decoders accept edited text).
  const value = String(signature.value);
  const exact =
    keyId !== "" &&
    createPublicKey(signature.publicKey as string)
      .export({ format: "pem", type: "spki" })
      .toString() === signature.publicKey &&
    Buffer.from(value, "base64").toString("base64") === value;
  const sigOk =
    exact &&
    signature.alg === "Ed25519" &&
    keyId === signature.keyId &&
    trusted.has(keyId) &&
    Signer.verify(signature.publicKey as string, canonicalJsonBytes(unsigned), Buffer.from(String(signature.value), "base64"));
  checks.push({
    name: "signature",
    ok: sigOk,
    message: sigOk
      ? `signed by ledger key ${keyId}`
      : !trusted.has(keyId)
        ? `the signing key ${keyId || "(unreadable)"} is not a trusted ledger signing key`
        : "the Ed25519 signature does not match the report content",
  });
  const a = anchor as Record<string, any>;
  const cp = a.checkpoint as Checkpoint;
  const fail = (message: string): ReportCheck[] => [...checks, { name: "anchor", ok: false, message }];
  const contentHash = sha256Hex(canonicalJsonBytes(content));
  if (contentHash !== a.contentHash) return fail(`the report content hashes to ${contentHash}, not the anchored ${String(a.contentHash)}`);
  const { signature: cpSig, ...cpBody } = cp;
  const cpKey = trusted.get(cp.keyId);
  if (
    a.tenant !== AUDIT_TENANT ||
    cp.origin !== ledgerOrigin(AUDIT_TENANT) ||
    cpKey === undefined ||
    !Signer.verify(cpKey, checkpointBody(cpBody), Buffer.from(String(cpSig), "base64"))
  )
    return fail(`checkpoint seq ${cp.seq} of the anchor is not a trusted checkpoint of the ${AUDIT_TENANT} ledger`);
  const lv = await verifyLedger(fs, layout.ledgerDir(AUDIT_TENANT), AUDIT_TENANT, { trustedPublicKeys: keys });
  if (!lv.ok) return fail(`the ${AUDIT_TENANT} ledger does not verify: ${lv.problems.slice(0, 3).join("; ")}`);
  const index = Number(a.leafIndex);
  const entries: readonly LedgerEntry[] = lv.entries;
  const e = entries[index];
  if (!Number.isSafeInteger(index) || e === undefined || cp.treeSize > entries.length)
    return fail(`the ${AUDIT_TENANT} ledger has no entry ${String(a.leafIndex)} / tree size ${cp.treeSize}`);
  if (e.type !== "event" || e.event.kind !== "report.generated" || e.event.data.contentHash !== contentHash || e.event.data.reportId !== r.reportId)
    return fail(`ledger entry ${index} of ${AUDIT_TENANT} does not record this report`);
  const tree = new MerkleTree();
  for (const x of entries.slice(0, cp.treeSize)) tree.append(leafHash(canonicalJsonBytes(x)));
  const leaf = tree.leaf(index);
  if (leaf.toString("hex") !== a.leafHash) return fail(`anchor.leafHash differs from the ledger's leaf ${index}`);
  if (tree.root().toString("hex") !== cp.rootHash) return fail(`checkpoint seq ${cp.seq} is not a checkpoint of this ledger`);
  const proof = (a.inclusionProof as string[]).map((h) => Buffer.from(String(h), "hex"));
  if (!verifyInclusion(index, cp.treeSize, leaf, proof, Buffer.from(cp.rootHash, "hex")))
    return fail("the anchor's inclusion proof does not lead to the checkpoint root");
  return [
    ...checks,
    { name: "anchor", ok: true, message: `ledger ${AUDIT_TENANT} entry ${index} records this report; included in signed checkpoint seq ${cp.seq}` },
  ];
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
