// Conformance cases for append and select: visibility, record fidelity, ordering, time bounds, limits, stream choice, pruning hints.

import assert from "node:assert/strict";
import { emptySelectStats, type StoredEntry } from "../../contract.js";
import { bodies, collect, idOf, isOrdered, rec, shuffled, T0, type ConformanceCase } from "./conformance-kit.js";

const API = { service: "api", source: "native" };
const DB = { service: "db", source: "native" };
const WEB = { service: "web", source: "native", namespace: "shop" };

export const selectCases: readonly ConformanceCase[] = [
  {
    title: "append resolves once its records are visible to select",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0, "first"), rec("t1", API, T0 + 1n, "second")]);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1" })), ["first", "second"]);
    },
  },
  {
    title: "stored records keep every field",
    async run({ store }) {
      const full = rec("t1", WEB, T0 + 5n, 'héllo "wörld" \u{1F600}\ttab\nnewline', {
        observedTimestamp: T0 + 999_999n,
        severityNumber: 17,
        severityText: "ERROR",
        attributes: { "http.status": "503", user: "ünïcode", empty: "" },
        resource: { "service.name": "web", "k8s.pod.name": "web-7d9c" },
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: "00f067aa0ba902b7",
      });
      const empty = rec("t1", WEB, T0 + 6n, "");
      const long = rec("t1", WEB, T0 + 7n, "x".repeat(200_000));
      await store.append("t1", [full, empty, long]);
      const got = (await collect(store, { tenant: "t1" })).map((e) => e.record);
      assert.equal(got.length, 3);
      assert.deepEqual(got[0], full);
      assert.deepEqual(got[1], empty);
      assert.deepEqual(got[2], long);
    },
  },
  {
    title: "select merges streams in timestamp order, forward and backward",
    async run({ store }) {
      const recs = [];
      for (let i = 0; i < 60; i++) recs.push(rec("t1", [API, DB, WEB][i % 3] as typeof API, T0 + BigInt(i * 7), `line-${i}`));
      const batches = shuffled(recs, 7);
      for (let i = 0; i < batches.length; i += 10) await store.append("t1", batches.slice(i, i + 10));
      const fwd = await collect(store, { tenant: "t1" });
      assert.equal(fwd.length, 60);
      assert.ok(isOrdered(fwd, "forward"), "forward select must be in ascending timestamp order");
      assert.deepEqual(
        bodies(fwd),
        recs.map((r) => r.body),
      );
      const bwd = await collect(store, { tenant: "t1", direction: "backward" });
      assert.ok(isOrdered(bwd, "backward"), "backward select must be in descending timestamp order");
      assert.deepEqual(bodies(bwd), recs.map((r) => r.body).reverse());
    },
  },
  {
    title: "each entry names the stream its record belongs to",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0, "a"), rec("t1", DB, T0 + 1n, "d"), rec("t1", WEB, T0 + 2n, "w")]);
      const ids = new Map([
        ["a", await idOf(store, "t1", API)],
        ["d", await idOf(store, "t1", DB)],
        ["w", await idOf(store, "t1", WEB)],
      ]);
      assert.equal(new Set(ids.values()).size, 3, "three label sets must be three streams");
      for (const e of await collect(store, { tenant: "t1" })) {
        assert.equal(e.streamId, ids.get(e.record.body));
        assert.equal(e.record.tenant, "t1");
      }
    },
  },
  {
    title: "the start bound is inclusive and the end bound exclusive",
    async run({ store }) {
      await store.append(
        "t1",
        Array.from({ length: 10 }, (_, i) => rec("t1", API, T0 + BigInt(i), `t${i}`)),
      );
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", start: T0 + 2n, end: T0 + 5n })), ["t2", "t3", "t4"]);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", start: T0 + 2n, end: T0 + 5n, direction: "backward" })), ["t4", "t3", "t2"]);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", start: T0 + 9n, end: T0 + 10n })), ["t9"]);
      assert.deepEqual(await collect(store, { tenant: "t1", start: T0 + 3n, end: T0 + 3n }), [], "an empty range returns nothing");
      assert.deepEqual(await collect(store, { tenant: "t1", start: T0 + 5n, end: T0 + 2n }), [], "a reversed range returns nothing");
      assert.deepEqual(await collect(store, { tenant: "t1", start: T0 + 10n }), [], "a range after the data returns nothing");
    },
  },
  {
    title: "limit keeps the first records in the direction of the query",
    async run({ store }) {
      const recs = Array.from({ length: 2500 }, (_, i) => rec("t1", i % 2 === 0 ? API : DB, T0 + BigInt(i), `n${i}`));
      for (let i = 0; i < recs.length; i += 500) await store.append("t1", recs.slice(i, i + 500));
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", limit: 3 })), ["n0", "n1", "n2"]);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", limit: 3, direction: "backward" })), ["n2499", "n2498", "n2497"]);
      const many = await collect(store, { tenant: "t1", limit: 1501 });
      assert.equal(many.length, 1501, "a limit past one batch is still exact");
      assert.equal(many.at(-1)?.record.body, "n1500");
      assert.equal((await collect(store, { tenant: "t1", limit: 10_000 })).length, 2500, "a limit above the count returns everything");
      assert.equal((await collect(store, { tenant: "t1", limit: 0 })).length, 0, "limit 0 returns nothing");
      const inRange = await collect(store, { tenant: "t1", start: T0 + 100n, end: T0 + 200n, limit: 5, direction: "backward" });
      assert.deepEqual(bodies(inRange), ["n199", "n198", "n197", "n196", "n195"], "limit applies after the time bounds");
    },
  },
  {
    title: "select reads only the requested streams",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0, "a"), rec("t1", DB, T0 + 1n, "d"), rec("t1", WEB, T0 + 2n, "w")]);
      const api = await idOf(store, "t1", API);
      const web = await idOf(store, "t1", WEB);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", streamIds: [api] })), ["a"]);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", streamIds: [web, api] })), ["a", "w"]);
      assert.deepEqual(bodies(await collect(store, { tenant: "t1", streamIds: [api, "no-such-stream"] })), ["a"], "unknown ids are ignored");
      assert.deepEqual(await collect(store, { tenant: "t1", streamIds: [] }), [], "no streams, no records");
      assert.deepEqual(await collect(store, { tenant: "nobody", streamIds: [api] }), [], "an unknown tenant has no records");
    },
  },
  {
    title: "large selects are complete and ordered, with or without stats",
    async run({ store }) {
      const n = 6000;
      const recs = Array.from({ length: n }, (_, i) => rec("t1", [API, DB, WEB][i % 3] as typeof API, T0 + BigInt(i * 3), `row ${i}`));
      for (let i = 0; i < n; i += 1000) await store.append("t1", recs.slice(i, i + 1000));
      await store.flush();
      await store.append("t1", [rec("t1", API, T0 + BigInt(n * 3), "after flush")]);
      const stats = emptySelectStats();
      const fwd = await collect(store, { tenant: "t1" }, stats);
      assert.equal(fwd.length, n + 1);
      assert.ok(isOrdered(fwd, "forward"));
      assert.equal(new Set(bodies(fwd)).size, n + 1, "no record is returned twice");
      for (const v of Object.values(stats)) assert.ok(Number.isInteger(v) && v >= 0, `stats counters are non-negative integers: ${JSON.stringify(stats)}`);
      const bwd = await collect(store, { tenant: "t1", direction: "backward" });
      assert.deepEqual(bodies(bwd), bodies(fwd).reverse());
    },
  },
  {
    title: "requiredSubstrings never hides a record that contains every substring, in any case",
    async run({ store }) {
      const recs = [];
      for (let i = 0; i < 3000; i++) recs.push(rec("t1", i % 2 === 0 ? API : DB, T0 + BigInt(i), `ordinary line ${i} status=200`));
      recs.push(rec("t1", API, T0 + 5000n, "payment FAILED for Order-7F3A9", { attributes: { order: "o1" } }));
      recs.push(rec("t1", DB, T0 + 5001n, "no needle in the body", { attributes: { request_id: "req-Order-7f3a9-x" } }));
      recs.push(rec("t1", DB, T0 + 5002n, "order-7f3a9 only"));
      const check = async (phase: string): Promise<void> => {
        const got = await collect(store, { tenant: "t1", requiredSubstrings: ["order-7f3a9"] });
        const matching = got.filter((e) =>
          JSON.stringify([e.record.body, Object.values(e.record.attributes)])
            .toLowerCase()
            .includes("order-7f3a9"),
        );
        assert.deepEqual(
          bodies(matching),
          ["payment FAILED for Order-7F3A9", "no needle in the body", "order-7f3a9 only"],
          `${phase}: every record holding the substring (body or attribute value) is returned`,
        );
        assert.ok(isOrdered(got, "forward"));
        const both = await collect(store, { tenant: "t1", requiredSubstrings: ["ORDER-7F3A9", "failed"] });
        assert.ok(bodies(both).includes("payment FAILED for Order-7F3A9"), `${phase}: several substrings are ANDed, not required verbatim`);
        const bounded = await collect(store, { tenant: "t1", requiredSubstrings: ["order-7f3a9"], start: T0 + 5001n, end: T0 + 5002n });
        assert.deepEqual(bodies(bounded), ["no needle in the body"], `${phase}: pruning hints never widen the time bounds`);
      };
      await store.append("t1", recs);
      await check("in memory");
      await store.flush();
      await check("after flush");
    },
  },
  {
    title: "an aborted signal stops a select early",
    async run({ store }) {
      const recs = Array.from({ length: 5000 }, (_, i) => rec("t1", API, T0 + BigInt(i), `r${i}`));
      await store.append("t1", recs);
      const ac = new AbortController();
      ac.abort();
      let n = 0;
      try {
        const id = await idOf(store, "t1", API);
        for await (const b of store.select({ tenant: "t1", streamIds: [id], start: 0n, end: T0 * 2n, direction: "forward", signal: ac.signal })) n += b.length;
      } catch {
        // Ending with an error is as good as ending quietly.
      }
      assert.ok(n < recs.length, `an aborted select returned all ${n} records`);
    },
  },
  {
    title: "an empty append is accepted and creates nothing",
    async run({ store }) {
      await store.append("t9", []);
      assert.ok(!(await store.tenants()).includes("t9"), "a tenant with no records is not listed");
      assert.deepEqual(await store.streams("t9", 0n, T0 * 2n), []);
      const st = await store.stats("t9");
      assert.equal(st.records, 0);
      assert.equal(st.streams, 0);
    },
  },
  {
    title: "records with equal timestamps are all kept",
    async run({ store }) {
      const same = Array.from({ length: 50 }, (_, i) => rec("t1", i % 2 === 0 ? API : DB, T0, `dup-${i}`));
      await store.append("t1", same.slice(0, 25));
      await store.append("t1", same.slice(25));
      const got: StoredEntry[] = await collect(store, { tenant: "t1" });
      assert.deepEqual(bodies(got).sort(), same.map((r) => r.body).sort());
      const api = await idOf(store, "t1", API);
      const apiOnly = bodies(await collect(store, { tenant: "t1", streamIds: [api] }));
      assert.deepEqual(
        apiOnly,
        same.filter((_, i) => i % 2 === 0).map((r) => r.body),
        "within a stream, equal timestamps keep append order",
      );
    },
  },
];
