// Test fixtures for retention: an in-memory data folder, an equality-only selector compiler, sample records.

import { ManualClock, type LogRecord } from "@meshlog/core";
import { EmbeddedStore } from "../engine/embedded-store.js";
import { FaultyFileSystem } from "../io/faulty-file-system.js";
import { CertificateStore } from "./certificate-store.js";
import { HoldStore } from "./legal-hold.js";
import { RetentionEnforcer } from "./retention-enforcer.js";
import { RetentionPolicies, type CompiledSelector } from "./retention-policy.js";
import { testRecord } from "@meshlog/testkit";

/** 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000_000_000n;
export const DAY = 86_400n * 1_000_000_000n;

/** Compiles `{a="x", b!="y"}` (equality matchers only: enough for storage tests, which cannot use the LogQL parser). */
export function testSelector(text: string): CompiledSelector {
  const m = /^\{(.*)\}$/s.exec(text.trim());
  if (m === null) throw new Error(`expected {...} in ${JSON.stringify(text)}`);
  const parts = (m[1] as string)
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) throw new Error("a selector needs at least one matcher");
  const ms = parts.map((p) => {
    const x = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(!=|=)\s*"([^"]*)"$/.exec(p);
    if (x === null) throw new Error(`bad matcher ${JSON.stringify(p)}`);
    return { name: x[1] as string, neg: x[2] === "!=", value: x[3] as string };
  });
  return {
    labelNames: ms.map((x) => x.name),
    matches: (labels) => ms.every((x) => ((labels[x.name] ?? "") === x.value) !== x.neg),
  };
}

export function rec(tenant: string, labels: Record<string, string>, ts: bigint, body: string): LogRecord {
  return testRecord({ tenant, labels, timestamp: ts, body });
}

export interface RetentionWorld {
  fs: FaultyFileSystem;
  clock: ManualClock;
  store: EmbeddedStore;
  policies: RetentionPolicies;
  holds: HoldStore;
  certificates: CertificateStore;
  enforcer: RetentionEnforcer;
}

/** A store on an in-memory disk whose blocks get retention classes from `policies`. */
export async function retentionWorld(opts: { batchSize?: number; fs?: FaultyFileSystem; clock?: ManualClock } = {}): Promise<RetentionWorld> {
  const fs = opts.fs ?? new FaultyFileSystem();
  const clock = opts.clock ?? new ManualClock(T0);
  const policies = new RetentionPolicies({ defaultDays: 90, auditWindowDays: 400 }, testSelector);
  const store = await EmbeddedStore.open({
    dataDir: "/data",
    fs,
    clock,
    sealTimer: false,
    sealWorker: false,
    retentionClassFor: (t, l) => policies.classFor(t, l),
  });
  const holds = await HoldStore.open(fs, "/data", clock, testSelector);
  const certificates = new CertificateStore(fs, "/data");
  const enforcer = new RetentionEnforcer({
    target: store,
    policies,
    holds,
    certificates,
    clock,
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
  });
  return { fs, clock, store, policies, holds, certificates, enforcer };
}
