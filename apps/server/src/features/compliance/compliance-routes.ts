// Compliance API: ledger status per tenant, on-demand integrity verification, and encryption key status.

import { join } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { dataLayout, EmbeddedStore, KeyRing, NodeFileSystem, parseMasterKey, verifyDataDir, type Ledger, type VerifyReport } from "@meshlog/storage";
import { ServerErrors } from "../../errors.js";
import type { RouteModule } from "../../http/route-module.js";
import { requireRole } from "../../http/request-auth.js";
import type { ServerContext } from "../../context.js";

export interface VerificationRecord extends VerifyReport {
  at: string;
  by: string;
}

function embedded(ctx: ServerContext): EmbeddedStore {
  if (!(ctx.store instanceof EmbeddedStore)) throw new MeshlogError(ServerErrors.NOT_FOUND, "ledger status is only available on the embedded storage engine");
  return ctx.store;
}

const masterKey = (): Buffer | undefined => {
  const t = process.env.MESHLOG_MASTER_KEY;
  return t === undefined || t === "" ? undefined : parseMasterKey(t);
};

/**
 * Problems a live folder shows for an instant: the tail of the WAL segment being written (a frame half-written), and
 * a block sealed after the verifier read the ledger but before it listed the blocks (its ledger entry follows).
 */
const TRANSIENT_WHILE_LIVE = new Set(["wal-torn-tail", "block-not-in-ledger"]);

/**
 * Runs the offline verifier against the live data folder. When it reports a problem that can be transient while the
 * server writes, the check is repeated once and only the problems found both times are kept: a transient one is not
 * reported, while real corruption (it stays) is.
 */
export async function verifyLive(ctx: ServerContext): Promise<VerifyReport> {
  const mk = masterKey();
  const run = () => verifyDataDir({ dataDir: ctx.dataDir, ...(mk !== undefined ? { masterKey: mk } : {}) });
  let report = await run();
  if (!report.ok && report.problems.some((p) => TRANSIENT_WHILE_LIVE.has(p.kind))) {
    await new Promise((r) => setTimeout(r, 200));
    const again = await run();
    const persistent = again.problems.filter((p) => report.problems.some((q) => q.kind === p.kind && q.file === p.file && q.message === p.message));
    report = { ...again, problems: persistent, ok: persistent.length === 0 };
  }
  return report;
}

export const complianceRoutes: RouteModule = {
  name: "compliance",
  body: "json",
  register(app, ctx) {
    app.get("/api/v1/compliance/ledger", { config: { audit: "compliance.ledger" } }, async (request) => {
      const p = requireRole(request, "admin", "auditor");
      const store = embedded(ctx);
      const all = await store.tenants();
      const tenants = p.tenants === "*" ? all : all.filter((t) => t === request.tenant);
      const out = [];
      for (const tenant of tenants) {
        const ledger = (await store.ledger(tenant)).raw as Ledger;
        const cp = ledger.latestCheckpoint();
        const stats = await store.stats(tenant);
        out.push({
          tenant,
          treeSize: ledger.size(),
          rootHash: ledger.rootHash(),
          blocks: stats.blocks,
          records: stats.records,
          lastCheckpoint: cp === undefined ? null : { seq: cp.seq, time: cp.time, rootHash: cp.rootHash, treeSize: cp.treeSize, keyId: cp.keyId },
        });
      }
      return { tenants: out, lastVerification: (ctx.services.get("compliance.lastVerification") as VerificationRecord | undefined) ?? null };
    });

    app.post("/api/v1/compliance/verify", { config: { audit: "compliance.verify" } }, async (request) => {
      const p = requireRole(request, "admin", "auditor");
      const report = await verifyLive(ctx);
      const rec: VerificationRecord = { ...report, at: new Date().toISOString(), by: p.id };
      ctx.services.set("compliance.lastVerification", rec);
      ctx.audit.record({
        action: "compliance.verification",
        principal: p.id,
        tenant: request.tenant,
        result: report.ok ? "ok" : "error",
        details: { ok: report.ok, blocks: report.blocks, problems: report.problems.length },
      });
      if (!report.ok) ctx.log.error("integrity verification failed", { problems: report.problems.slice(0, 20) });
      return rec;
    });

    app.get("/api/v1/compliance/keys", { config: { audit: "compliance.keys" } }, async (request) => {
      const p = requireRole(request, "admin", "auditor");
      embedded(ctx);
      const mk = masterKey();
      const ring = await KeyRing.open(new NodeFileSystem(), dataLayout(ctx.dataDir, join).keysDir, mk !== undefined ? { masterKey: mk } : {});
      const keks = await ring.listKeks();
      const visible = p.tenants === "*" ? keks : keks.filter((k) => k.tenant === request.tenant);
      return { keys: visible };
    });
  },
};
