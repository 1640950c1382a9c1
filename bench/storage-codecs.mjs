#!/usr/bin/env node
// Block codec benchmark: compressed size and speed of gzip and brotli levels on the block column plaintext
// of realistic mesh lines (all in one block, so more templates than a per-stream block), against gzip -6
// of the raw lines. Prints one JSON object.
import zlib from "node:zlib";
import { randomBytes } from "node:crypto";
import { encodeColumns } from "../packages/storage/dist/block/block-columns.js";
import { meshLine } from "./lib-mesh-lines.mjs";

const LINES = Math.round(8000 * Number(process.env.MESHLOG_BENCH_SCALE ?? "1"));
const T0 = BigInt(Date.UTC(2026, 10, 1)) * 1_000_000n;
const labels = { service: "checkout", namespace: "prod", source: "envoy" };
const records = [];
for (let i = 0; i < LINES; i++) {
  const ts = T0 + BigInt(i) * 5_000_000n;
  const l = meshLine(Number(ts / 1_000_000n));
  records.push({ timestamp: ts, observedTimestamp: ts + 2_000_000n, severityNumber: 9, severityText: "", body: l.body, attributes: {}, resource: {}, traceId: l.traceId, spanId: "", tenant: "bench", labels });
}
const raw = Buffer.from(records.map((r) => r.body).join("\n") + "\n");
const plain = encodeColumns(records, randomBytes(16));
const time = (f, reps = 3) => {
  let best = Infinity;
  let out;
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    out = f();
    best = Math.min(best, performance.now() - s);
  }
  return { out, ms: best };
};
const gzRaw = time(() => zlib.gzipSync(raw, { level: 6 }));
const results = {};
const add = (name, f, dec) => {
  const c = time(f);
  const d = time(() => dec(c.out));
  results[name] = { bytes: c.out.length, bytesPerLine: +(c.out.length / LINES).toFixed(2), ratioToGzip6Raw: +(c.out.length / gzRaw.out.length).toFixed(3), compressMBps: +(plain.length / c.ms / 1000).toFixed(1), decompressMBps: +(plain.length / d.ms / 1000).toFixed(1) };
};
add("gzip-6", () => zlib.gzipSync(plain, { level: 6 }), (b) => zlib.gunzipSync(b));
for (const q of [4, 5, 6, 9, 11]) {
  add(`brotli-${q}`, () => zlib.brotliCompressSync(plain, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: q, [zlib.constants.BROTLI_PARAM_LGWIN]: 22, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.length } }), (b) => zlib.brotliDecompressSync(b));
}
console.log(JSON.stringify({ lines: LINES, rawBytes: raw.length, plainBytes: plain.length, gzip6RawBytes: gzRaw.out.length, gzip6RawBytesPerLine: +(gzRaw.out.length / LINES).toFixed(2), codecs: results }));
