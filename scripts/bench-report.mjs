#!/usr/bin/env node
// Prints the DESIGN §10 target table from bench/results/latest.json (written by `npm run bench`), for BENCHMARKS.md.
import { readFileSync } from "node:fs";

const r = JSON.parse(readFileSync(new URL("../bench/results/latest.json", import.meta.url), "utf8"));
const g = (o, path) => path.split(".").reduce((x, k) => (x == null ? undefined : x[k]), o);
const res = r.results;
const fmt = (v, d = 2) => (typeof v === "number" ? (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : Number(v.toFixed(d)).toString()) : "n/a");
const rows = [
  ["server ingest, native (lines per server CPU-second)", fmt(g(res, "ingest-native.server.linesPerServerCpuSecond")), `JSON.parse ${fmt(g(res, "ingest-native.jsonParseLinesPerSec"))}/s`, fmt(g(res, "ingest-native.ratios.serverPerCpuSecondVsJsonParse"), 3), "≥ 300k lines/s/core"],
  ["server ingest, Loki push protobuf (null store, per server core-s)", fmt(g(res, "ingest-http-receivers.results.loki-proto.linesPerServerCoreSecond")), `JSON.parse ${fmt(g(res, "ingest-http-receivers.results.loki-proto.jsonParseLinesPerSecond"))}/s`, fmt(g(res, "ingest-http-receivers.results.loki-proto.ratioToJsonParse"), 3), "≥ 300k lines/s/core"],
  ["syslog TCP octet-counted (null store, per server core-s)", fmt(g(res, "ingest-syslog.results.tcp-octet-5424.linesPerServerCoreSecond")), `parseSyslog ${fmt(g(res, "ingest-syslog.results.tcp-octet-5424.parseSyslogLinesPerSecond"))}/s`, fmt(g(res, "ingest-syslog.results.tcp-octet-5424.ratioToParseSyslog"), 3), "—"],
  ["forward PackedForward, acked (null store, per server core-s)", fmt(g(res, "ingest-forward.results.packed.linesPerServerCoreSecond")), `msgpack decode ${fmt(g(res, "ingest-forward.results.packed.msgpackDecodeEntriesPerSecond"))}/s`, fmt(g(res, "ingest-forward.results.packed.ratioToMsgpackDecode"), 3), "—"],
  ["agent tail→parse→ship (CPU µs per line)", fmt(g(res, "agent-tail.tailParseShip.cpuMicrosecondsPerLine")), `read+split ${fmt(g(res, "agent-tail.baselineReadSplitLinesPerSecond"))} lines/s`, "—", "≥ Fluent Bit (not installable here)"],
  ["stored size (bytes/line, engine)", fmt(g(res, "storage-engine.storage.bytesPerLine")), `gzip -6 ${fmt(g(res, "storage-engine.storage.gzip6BytesPerLine"))} B/line`, fmt(g(res, "storage-engine.storage.ratioToGzip6"), 3), "≤ 0.5 × gzip -6"],
  ["needle search (rare token, s)", fmt(g(res, "storage-engine.needleSearch.seconds"), 4), `full scan ${fmt(g(res, "storage-engine.fullScan.seconds"), 3)} s`, fmt(g(res, "storage-engine.needleToScanRatio"), 3), "≤ 0.2 s on 10M lines"],
  ["substring scan (GB/s, engine)", fmt(g(res, "storage-engine.substringScan.gbPerSecond"), 3), `Buffer.indexOf ${fmt(g(res, "storage-engine.bufferIndexOf.gbPerSecond"), 2)} GB/s`, fmt(g(res, "storage-engine.substringScanToIndexOf"), 4), "≥ 1 GB/s/core"],
  ["substring scan, blocks cached (GB/s, engine)", fmt(g(res, "storage-engine.substringScanWarm.gbPerSecond"), 3), `Buffer.indexOf ${fmt(g(res, "storage-engine.bufferIndexOf.gbPerSecond"), 2)} GB/s`, fmt(g(res, "storage-engine.substringScanWarmToIndexOf"), 4), "≥ 1 GB/s/core"],
  ["query: sum by (level) over count_over_time (lines/s)", fmt(g(res, "query-scan.engine.sumByLevel.linesPerSec")), `store select ${fmt(g(res, "query-scan.storeSelectOnly.linesPerSec"))} lines/s`, "—", "—"],
  ["peak RSS during native ingest (MB)", fmt(g(res, "ingest-native.server.peakRssMB")), "—", "—", "≤ 256 MiB at 100k lines/s"],
  ["web UI first load (ms, median)", fmt(g(res, "ui-load.firstLoadMsMedian")), `blank page ${fmt(g(res, "ui-load.blankPageMsMedian"))} ms`, fmt(g(res, "ui-load.ratioToBlankPage")), `bundle ${fmt(g(res, "ui-load.bundleBytes"))} B (${fmt(g(res, "ui-load.bundleGzipBytes"))} B gzip)`],
];
console.log(`Measured ${r.date} on ${r.machine.cores} × ${r.machine.cpu}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}.\n`);
console.log("| what | measured | baseline (same run) | ratio | target |\n| --- | --- | --- | --- | --- |");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
