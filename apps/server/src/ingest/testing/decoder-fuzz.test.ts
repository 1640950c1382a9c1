// Property tests: every receiver's decoder, fed arbitrary JSON values, text or bytes, either succeeds or fails
// with a MeshlogError (a precise 4xx), never with a TypeError or a crash.

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { datadogToRecord } from "../datadog/datadog-record.js";
import { parseBulk } from "../elasticsearch/es-bulk.js";
import { decodePushJson, decodePushProto, snappyDecode } from "../loki/loki-push.js";
import { lokiStreamsToRecords } from "../loki/loki-routes.js";
import { decodeLogsRequestJson, decodeTracesRequestJson } from "../otlp/otlp-json.js";
import { decodeTracesRequestProto } from "../otlp/otlp-proto.js";
import { logsToRecords, spansToRecords } from "../otlp/otlp-records.js";
import { ProtoWireError } from "../otlp/proto-wire.js";
import { decodeZipkinJson, decodeZipkinProto, zipkinSpanToRecord } from "../zipkin/zipkin-span.js";

const onlyMeshlogErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MeshlogError || err instanceof ProtoWireError)) throw err;
  }
};

/** Arbitrary JSON plus values shaped like each protocol's payloads, so the deeper branches are reached. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({
    streams: fc.array(
      fc.record({ stream: fc.jsonValue({ maxDepth: 2 }), values: fc.array(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }), { maxLength: 3 }) }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    resourceLogs: fc.array(
      fc.record({
        resource: fc.jsonValue({ maxDepth: 3 }),
        scopeLogs: fc.array(
          fc.record({
            logRecords: fc.array(
              fc.dictionary(fc.constantFrom("timeUnixNano", "body", "attributes", "traceId", "severityNumber", "spanId"), fc.jsonValue({ maxDepth: 3 })),
            ),
          }),
        ),
      }),
    ),
  }),
  fc.array(
    fc.dictionary(
      fc.constantFrom(
        "traceId",
        "id",
        "parentId",
        "kind",
        "timestamp",
        "duration",
        "tags",
        "localEndpoint",
        "annotations",
        "message",
        "status",
        "ddtags",
        "service",
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    { maxLength: 4 },
  ),
);

const runs = { numRuns: 300 };

test("Loki JSON decoding and conversion fail only with Meshlog errors", () => {
  fc.assert(
    fc.property(value, (v) => onlyMeshlogErrors(() => lokiStreamsToRecords(decodePushJson(v), "t", 1n, 1000))),
    runs,
  );
});

test("Loki protobuf decoding fails only with Meshlog errors on arbitrary (snappy) bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      onlyMeshlogErrors(() => lokiStreamsToRecords(decodePushProto(b), "t", 1n, 1000));
      onlyMeshlogErrors(() => decodePushProto(snappyDecode(b, 4096, () => new MeshlogError("INGEST_PAYLOAD_TOO_LARGE", "too large"))));
    }),
    runs,
  );
});

test("OTLP JSON decoding and conversion fail only with Meshlog errors", () => {
  fc.assert(
    fc.property(value, (v) => {
      onlyMeshlogErrors(() => logsToRecords(decodeLogsRequestJson(v), "t", 1n, 1000));
      onlyMeshlogErrors(() => spansToRecords(decodeTracesRequestJson(v), "t", 1n));
    }),
    runs,
  );
});

test("OTLP trace protobuf decoding fails only with wire errors", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        spansToRecords(decodeTracesRequestProto(b), "t", 1n);
      } catch (err) {
        assert.ok(err instanceof ProtoWireError || err instanceof RangeError, String(err));
      }
    }),
    runs,
  );
});

test("Elasticsearch bulk parsing fails only with Meshlog errors on arbitrary NDJSON", () => {
  const lines = fc.array(
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((j) => JSON.stringify(j)),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('{"index":{}}', '{"create":{"_index":"x"}}', '{"delete":{"_index":"x"}}', '{"update":{}}'),
    ),
    { maxLength: 8 },
  );
  fc.assert(
    fc.property(lines, fc.boolean(), (ls, nl) => onlyMeshlogErrors(() => parseBulk(ls.join("\n") + (nl ? "\n" : ""), "idx", "t", 1n, 1000, 0))),
    runs,
  );
});

test("Datadog conversion fails only with Meshlog errors", () => {
  fc.assert(
    fc.property(value, (v) => onlyMeshlogErrors(() => (Array.isArray(v) ? v : [v]).forEach((x, i) => datadogToRecord(x, `logs[${i}]`, "t", 1n, 1000)))),
    runs,
  );
});

test("Zipkin JSON and proto decoding fail only with Meshlog errors", () => {
  fc.assert(
    fc.property(value, (v) => onlyMeshlogErrors(() => decodeZipkinJson(v).forEach((s, i) => zipkinSpanToRecord(s, i, "t", 1n)))),
    runs,
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyMeshlogErrors(() => decodeZipkinProto(b).forEach((s, i) => zipkinSpanToRecord(s, i, "t", 1n)))),
    runs,
  );
});
