// Conformance cases for streams(), tenants, stats, tail, flush/close, restart persistence and concurrent appends.

import assert from "node:assert/strict";
import type { LogRecord } from "@meshlog/core";
import type { LogStore, StoredEntry } from "../../contract.js";
import { allStreams, bodies, collect, idOf, isOrdered, labelsKey, rec, T0, waitUntil, type ConformanceCase } from "./conformance-kit.js";

const API = { service: "api", source: "native" };
const DB = { service: "db", source: "native" };

/** Reads everything a store holds for a tenant, as comparable plain data. */
async function snapshot(store: LogStore, tenant: string): Promise<{ streams: string[]; records: string[]; stats: [number, number] }> {
  const streams = (await allStreams(store, tenant)).map((s) => `${labelsKey(s.labels)} ${s.minTime}..${s.maxTime}`).sort();
  const records = (await collect(store, { tenant })).map((e) => `${e.record.timestamp} ${e.record.body}`);
  const st = await store.stats(tenant);
  return { streams, records, stats: [st.streams, st.records] };
}

export const storeCases: readonly ConformanceCase[] = [
  {
    title: "streams() lists each label set once, with its labels and time range",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0 + 10n, "a"), rec("t1", { source: "native", service: "api" }, T0 + 30n, "b")]);
      await store.append("t1", [rec("t1", API, T0 + 20n, "c"), rec("t1", DB, T0 + 5n, "d"), rec("t1", { ...DB, level: "error" }, T0 + 7n, "e")]);
      const streams = await allStreams(store, "t1");
      assert.equal(streams.length, 3, "label key order does not make a new stream; a different label set does");
      const api = streams.find((s) => labelsKey(s.labels) === labelsKey(API));
      assert.ok(api !== undefined);
      assert.deepEqual({ ...api.labels }, API);
      assert.equal(api.tenant, "t1");
      assert.equal(api.minTime, T0 + 10n);
      assert.equal(api.maxTime, T0 + 30n);
      assert.equal(new Set(streams.map((s) => s.id)).size, 3, "stream ids are distinct");
    },
  },
  {
    title: "streams() returns only streams whose data overlaps [start, end)",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0 + 100n, "a1"), rec("t1", API, T0 + 200n, "a2"), rec("t1", DB, T0 + 300n, "d1")]);
      const names = async (start: bigint, end: bigint): Promise<string[]> => (await store.streams("t1", start, end)).map((s) => s.labels.service ?? "").sort();
      assert.deepEqual(await names(T0, T0 + 100n), [], "data starting exactly at end is outside");
      assert.deepEqual(await names(T0, T0 + 101n), ["api"]);
      assert.deepEqual(await names(T0 + 200n, T0 + 300n), ["api"], "data ending exactly at start is inside");
      assert.deepEqual(await names(T0 + 150n, T0 + 160n), ["api"], "a range inside a stream's span overlaps it");
      assert.deepEqual(await names(T0 + 201n, T0 + 301n), ["db"]);
      assert.deepEqual(await names(T0 + 301n, T0 + 400n), []);
    },
  },
  {
    title: "tenants are isolated in streams, select, stats and tail",
    async run({ store }) {
      const seen: StoredEntry[] = [];
      const off = store.tail("t2", (es) => void seen.push(...es));
      try {
        await store.append("t1", [rec("t1", API, T0, "secret of t1"), rec("t1", DB, T0 + 1n, "more of t1")]);
        await store.append("t2", [rec("t2", API, T0 + 2n, "t2 line")]);
        const ids1 = (await allStreams(store, "t1")).map((s) => s.id);
        const ids2 = (await allStreams(store, "t2")).map((s) => s.id);
        assert.equal(ids2.length, 1);
        assert.deepEqual(bodies(await collect(store, { tenant: "t2", streamIds: [...ids1, ...ids2] })), ["t2 line"], "t2 never reads t1's streams, even by id");
        assert.deepEqual(bodies(await collect(store, { tenant: "t1", streamIds: [...ids1, ...ids2] })), ["secret of t1", "more of t1"]);
        assert.equal((await store.stats("t2")).records, 1);
        assert.equal((await store.stats("t1")).records, 2);
        assert.ok(await waitUntil(() => seen.length >= 1));
        assert.deepEqual(bodies(seen), ["t2 line"], "a tail of t2 sees only t2");
        assert.ok(seen.every((e) => e.record.tenant === "t2"));
      } finally {
        off();
      }
    },
  },
  {
    title: "tenants() lists exactly the tenants that have data",
    async run({ store }) {
      assert.deepEqual([...(await store.tenants())], []);
      await store.append("alpha", [rec("alpha", API, T0, "x")]);
      await store.append("beta", [rec("beta", API, T0, "y")]);
      assert.deepEqual([...(await store.tenants())].sort(), ["alpha", "beta"]);
    },
  },
  {
    title: "stats() counts the streams and records of one tenant",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0, "a"), rec("t1", API, T0 + 1n, "b"), rec("t1", DB, T0 + 2n, "c")]);
      await store.append("t2", [rec("t2", API, T0, "z")]);
      const check = async (phase: string): Promise<void> => {
        const st = await store.stats("t1");
        assert.equal(st.tenant, "t1");
        assert.equal(st.streams, 2, `${phase}: streams`);
        assert.equal(st.records, 3, `${phase}: records`);
        assert.ok(st.blocks >= 0 && st.storedBytes >= 0);
      };
      await check("in memory");
      await store.flush();
      await check("after flush");
      const none = await store.stats("nobody");
      assert.deepEqual([none.tenant, none.streams, none.records, none.blocks], ["nobody", 0, 0, 0]);
    },
  },
  {
    title: "tail delivers each appended record once to every listener of its tenant, until unsubscribed",
    async run({ store }) {
      const a: StoredEntry[] = [];
      const b: StoredEntry[] = [];
      const offA = store.tail("t1", (es) => void a.push(...es));
      const offB = store.tail("t1", (es) => void b.push(...es));
      try {
        await store.append("t1", [rec("t1", API, T0, "one"), rec("t1", DB, T0 + 1n, "two")]);
        await store.append("t1", [rec("t1", API, T0 - 5n, "three (older)")]);
        assert.ok(await waitUntil(() => a.length >= 3 && b.length >= 3), `tail delivered ${a.length} and ${b.length} of 3 entries`);
        for (const got of [a, b]) {
          assert.deepEqual(bodies(got).sort(), ["one", "three (older)", "two"]);
          for (const e of got) assert.equal(e.streamId, await idOf(store, "t1", e.record.labels), "tail entries carry the stream id streams() reports");
        }
        offA();
        await store.append("t1", [rec("t1", API, T0 + 9n, "four")]);
        assert.ok(await waitUntil(() => b.length >= 4));
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(a.length, 3, "an unsubscribed listener gets nothing more");
        assert.deepEqual(bodies(b.slice(3)), ["four"]);
      } finally {
        offA();
        offB();
      }
    },
  },
  {
    title: "records stay readable and unchanged across flush()",
    async run({ store }) {
      const recs: LogRecord[] = [];
      for (let i = 0; i < 500; i++) recs.push(rec("t1", i % 3 === 0 ? DB : API, T0 + BigInt(i * 11), `flush ${i}`, { attributes: { i: String(i) } }));
      await store.append("t1", recs);
      const before = await collect(store, { tenant: "t1" });
      await store.flush();
      await store.flush();
      const after = await collect(store, { tenant: "t1" });
      assert.deepEqual(
        after.map((e) => e.record),
        before.map((e) => e.record),
      );
      await store.append("t1", [rec("t1", API, T0 + 1n, "late")]);
      assert.equal((await collect(store, { tenant: "t1" })).length, 501, "appends keep working after flush");
    },
  },
  {
    title: "close() resolves and may be called twice",
    async run({ store }) {
      await store.append("t1", [rec("t1", API, T0, "x")]);
      await store.close();
      await store.close();
    },
  },
  {
    title: "concurrent appends to many streams and tenants are each stored exactly once",
    async run({ store }) {
      const writes: Promise<void>[] = [];
      const expected = new Map<string, string[]>([
        ["t1", []],
        ["t2", []],
      ]);
      for (let w = 0; w < 24; w++) {
        const tenant = w % 2 === 0 ? "t1" : "t2";
        const labels = { service: `svc-${w % 5}`, source: "native" };
        const batch = Array.from({ length: 40 }, (_, i) => rec(tenant, labels, T0 + BigInt(i * 100 + w), `w${w}-${i}`));
        expected.get(tenant)?.push(...batch.map((r) => r.body));
        writes.push(store.append(tenant, batch));
      }
      await Promise.all(writes);
      for (const [tenant, want] of expected) {
        const got = await collect(store, { tenant });
        assert.ok(isOrdered(got, "forward"));
        assert.deepEqual(bodies(got).sort(), [...want].sort(), `tenant ${tenant}: every record once`);
        assert.equal((await allStreams(store, tenant)).length, 5);
      }
    },
  },
  {
    title: "data survives close and reopen, whether flushed or not",
    when: (o) => o.persistent === true,
    async run({ fixture, store }) {
      assert.ok(fixture.reopen !== undefined, "a persistent fixture must provide reopen()");
      await store.append("t1", [rec("t1", API, T0, "sealed 1"), rec("t1", DB, T0 + 1n, "sealed 2")]);
      await store.flush();
      await store.append("t1", [rec("t1", API, T0 + 2n, "only in the log")]);
      await store.append("t2", [rec("t2", DB, T0 + 3n, "other tenant")]);
      const s1 = await snapshot(store, "t1");
      const s2 = await snapshot(store, "t2");
      await store.close();
      const again = await fixture.reopen();
      try {
        assert.deepEqual(await snapshot(again, "t1"), s1);
        assert.deepEqual(await snapshot(again, "t2"), s2);
        assert.deepEqual([...(await again.tenants())].sort(), ["t1", "t2"]);
        const seen: StoredEntry[] = [];
        const off = again.tail("t1", (es) => void seen.push(...es));
        await again.append("t1", [rec("t1", API, T0 + 4n, "after reopen")]);
        assert.ok(await waitUntil(() => seen.length === 1));
        off();
        assert.deepEqual(bodies(await collect(again, { tenant: "t1" })), ["sealed 1", "sealed 2", "only in the log", "after reopen"]);
      } finally {
        await again.close();
      }
      const third = await fixture.reopen();
      try {
        assert.equal((await collect(third, { tenant: "t1" })).length, 4, "a second restart keeps everything too");
      } finally {
        await third.close();
      }
    },
  },
];
