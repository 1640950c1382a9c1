// The shared receiver conformance suite: the same cases (auth, tenancy, malformed/truncated/oversized/hostile
// payloads, backpressure, metrics) run against every HTTP receiver through its ReceiverSpec.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import type { LogRecord } from "@meshlog/core";
import type { RouteModule } from "../../http/route-module.js";
import { zstdBomb } from "./zstd-fixtures.js";
import { INGEST_TENANT, post, startReceiverHarness, TOKENS, type ReceiverHarness } from "./receiver-harness.js";

/** A request body and its headers (without credentials). */
export interface RequestSpec {
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | string;
}

/** How one receiver is driven by the conformance suite. */
export interface ReceiverSpec {
  /** Receiver name; also the expected `source` label of stored records. */
  readonly name: string;
  readonly module: RouteModule;
  /** Path the valid requests are sent to. */
  readonly path: string;
  /** Status of an accepted request. */
  readonly okStatus: number;
  /** A valid request carrying exactly `recordsPerRequest` records whose body contains `marker`. */
  valid(marker: string): RequestSpec;
  readonly recordsPerRequest: number;
  /** Credentials headers for a token (default: Authorization: Bearer). */
  auth?(token: string): Record<string, string>;
  /** Malformed requests and the exact status each must get; `message` must match the response text. */
  readonly malformed: readonly { title: string; request: RequestSpec; status: number; message?: RegExp }[];
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Size limits the suite runs under, so oversize cases stay small. */
export const CONFORMANCE_LIMITS = { maxBodyBytes: 64 * 1024, maxLineBytes: 8 * 1024 };

/** Registers the conformance tests of one receiver with node:test. */
export function describeReceiverConformance(spec: ReceiverSpec): void {
  describe(`${spec.name} receiver conformance`, () => {
    let h: ReceiverHarness;
    let seq = 0;
    const auth = (token: string) => (spec.auth ?? bearer)(token);
    const url = () => h.url + spec.path;
    const marker = () => `mk${spec.name}${++seq}x${randomBytes(3).toString("hex")}`;
    const send = (req: RequestSpec, token: string | undefined, extra: Record<string, string> = {}) =>
      post(url(), req.body, { ...req.headers, ...(token === undefined ? {} : auth(token)), ...extra });
    const withMarker = (records: LogRecord[], m: string) => records.filter((r) => r.body.includes(m));
    /** Sends a valid request and checks that exactly its records were stored. */
    const sendValid = async (token: string = TOKENS.ingest, tenant = INGEST_TENANT, extra: Record<string, string> = {}) => {
      const m = marker();
      const res = await send(spec.valid(m), token, extra);
      assert.equal(res.status, spec.okStatus, `valid request: ${res.text}`);
      const got = withMarker(await h.records(tenant), m);
      assert.equal(got.length, spec.recordsPerRequest, "every record of the valid request is stored once");
      return got;
    };

    before(async () => {
      h = await startReceiverHarness([spec.module], { ingest: CONFORMANCE_LIMITS });
    });
    after(async () => {
      await h.close();
    });

    test("accepts a valid request and stores records of the token's tenant with the receiver's source label", async () => {
      const got = await sendValid();
      for (const r of got) {
        assert.equal(r.tenant, INGEST_TENANT);
        assert.equal(r.labels.source, spec.name);
        assert.ok(r.timestamp > 0n, "timestamp is set");
      }
    });

    const authCases: { title: string; token: string | undefined; status: number }[] = [
      { title: "rejects a request without credentials with 401", token: undefined, status: 401 },
      { title: "rejects an unknown token with 401", token: "tok-wrong", status: 401 },
      { title: "rejects a token without the ingest role with 403", token: TOKENS.analyst, status: 403 },
    ];
    for (const c of authCases) {
      test(c.title, async () => {
        const m = marker();
        const before = (await h.records()).length;
        const res = await send(spec.valid(m), c.token);
        assert.equal(res.status, c.status, res.text);
        assert.equal((await h.records()).length, before, "nothing is stored");
      });
    }

    test("writes to the X-Scope-OrgID tenant when the token allows it, and refuses it otherwise", async () => {
      const got = await sendValid(TOKENS.admin, "tenant-x", { "x-scope-orgid": "tenant-x" });
      assert.ok(got.every((r) => r.tenant === "tenant-x"));
      const m = marker();
      const res = await send(spec.valid(m), TOKENS.ingest, { "x-scope-orgid": "tenant-x" });
      assert.equal(res.status, 403, res.text);
      assert.equal(withMarker(await h.records("tenant-x"), m).length, 0);
    });

    const generic: { title: string; request: (m: string) => RequestSpec; status: (s: number) => boolean; expect: string }[] = [
      {
        title: "a truncated body",
        request: (m) => {
          const v = spec.valid(m);
          const b = typeof v.body === "string" ? Buffer.from(v.body) : Buffer.from(v.body);
          return { headers: v.headers, body: b.subarray(0, Math.floor(b.length / 2)) };
        },
        status: (s) => s === 400,
        expect: "400",
      },
      {
        title: "an oversized body",
        request: (m) => ({ headers: spec.valid(m).headers, body: Buffer.alloc(CONFORMANCE_LIMITS.maxBodyBytes + 1024, 0x61) }),
        status: (s) => s === 413,
        expect: "413",
      },
      {
        title: "a gzip bomb that inflates past the body limit",
        request: (m) => ({ headers: { ...spec.valid(m).headers, "content-encoding": "gzip" }, body: gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)) }),
        status: (s) => s === 413,
        expect: "413",
      },
      {
        title: "a zstd bomb declaring 1 GiB",
        request: (m) => ({ headers: { ...spec.valid(m).headers, "content-encoding": "zstd" }, body: zstdBomb(2n ** 30n, 8192) }),
        status: (s) => s === 413,
        expect: "413",
      },
      {
        title: "a body that is not valid gzip although it says so",
        request: (m) => ({ headers: { ...spec.valid(m).headers, "content-encoding": "gzip" }, body: Buffer.from("definitely not gzip") }),
        status: (s) => s === 400,
        expect: "400",
      },
      {
        title: "random bytes",
        request: (m) => ({ headers: spec.valid(m).headers, body: randomBytes(2048) }),
        status: (s) => s >= 400 && s < 500,
        expect: "4xx",
      },
      {
        title: "deeply nested JSON",
        request: (m) => ({ headers: spec.valid(m).headers, body: "[".repeat(20_000) + "]".repeat(20_000) }),
        status: (s) => s >= 400 && s < 500,
        expect: "4xx",
      },
    ];
    const cases = [
      ...generic.map((g) => ({ title: g.title, request: g.request, status: g.status, expect: g.expect, message: undefined as RegExp | undefined })),
      ...spec.malformed.map((c) => ({
        title: c.title,
        request: () => c.request,
        status: (s: number) => s === c.status,
        expect: String(c.status),
        message: c.message,
      })),
    ];
    for (const c of cases) {
      test(`rejects ${c.title} with ${c.expect}, stays up and keeps earlier data`, async () => {
        const earlier = await sendValid();
        const count = (await h.records()).length;
        const res = await send(c.request(marker()), TOKENS.ingest);
        assert.ok(c.status(res.status), `expected ${c.expect}, got ${res.status}: ${res.text.slice(0, 300)}`);
        if (c.message !== undefined) assert.match(res.text, c.message);
        assert.equal((await h.records()).length, count, "nothing from the bad request is stored");
        const all = await h.records();
        for (const r of earlier) assert.ok(all.includes(r), "earlier records are intact");
        await sendValid();
      });
    }

    test("answers backpressure with 429/503 and Retry-After, storing nothing, then recovers", async () => {
      const count = (await h.records()).length;
      h.store.refuse = true;
      try {
        const res = await send(spec.valid(marker()), TOKENS.ingest);
        assert.ok(res.status === 429 || res.status === 503, `got ${res.status}: ${res.text}`);
        assert.equal(res.headers.get("retry-after"), "7");
      } finally {
        h.store.refuse = false;
      }
      assert.equal((await h.records()).length, count, "nothing half-written");
      await sendValid();
    });

    test("counts requests and bytes per receiver in the metrics registry", async () => {
      await sendValid();
      const text = h.ctx.metrics.render();
      assert.match(text, new RegExp(`meshlog_receiver_requests_total\\{receiver="${spec.name}",status="${spec.okStatus}"\\} \\d+`));
      assert.match(text, new RegExp(`meshlog_receiver_request_bytes_total\\{receiver="${spec.name}"\\} [1-9]\\d*`));
      assert.match(text, new RegExp(`meshlog_ingest_records_total\\{receiver="${spec.name}",tenant="${INGEST_TENANT}"\\} [1-9]\\d*`));
    });

    test("writes an audit event for each authenticated request", async () => {
      const before = h.audit.length;
      await sendValid();
      // The audit hook runs when the response is finished, which may be just after the client has read it.
      let ev = h.audit.slice(before).find((e) => e.action === "ingest");
      for (let i = 0; i < 100 && ev === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        ev = h.audit.slice(before).find((e) => e.action === "ingest");
      }
      assert.ok(ev !== undefined, "an ingest audit event is recorded");
      assert.equal(ev.principal, "shipper");
      assert.equal(ev.tenant, INGEST_TENANT);
    });
  });
}
