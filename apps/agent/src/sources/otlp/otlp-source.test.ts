// Tests for the OTLP/HTTP source: the real OpenTelemetry JS exporter, decoding rules, hostile bodies, 503 when full.

import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { fakeSourceContext } from "../../testing/fake-source-context.js";
import { waitFor } from "../../testing/spawn-agent.js";
import { otlpSource, otlpSourceSchema } from "./index.js";
import { decodeOtlpLogsJson } from "./otlp-json.js";

async function post(
  port: number,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/v1/logs", method: "POST", headers }, (res) => {
      let b = "";
      res.setEncoding("utf8").on("data", (d: string) => (b += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body: b }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("records sent by the OpenTelemetry JS SDK arrive with body, severity, attributes, resource and trace ids", async () => {
  const ctx = fakeSourceContext("otlp");
  const src = otlpSource.create(otlpSourceSchema.parse({ address: "127.0.0.1:0" }), ctx);
  await src.start();
  const port = src.address?.()?.port as number;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ "service.name": "checkout" }),
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs` }) } as never)],
  });
  try {
    provider
      .getLogger("test")
      .emit({ body: "payment failed", severityNumber: SeverityNumber.ERROR, severityText: "ERROR", attributes: { "order.id": "o-1", retries: 3 } });
    await provider.forceFlush();
    await waitFor("the record", () => ctx.records.length === 1);
    const r = ctx.records[0];
    assert.equal(r?.body, "payment failed");
    assert.equal(r?.severityNumber, 17);
    assert.equal(r?.attributes["order.id"], "o-1");
    assert.equal(r?.attributes.retries, "3");
    assert.equal(r?.resource["service.name"], "checkout");
  } finally {
    await provider.shutdown();
    await src.stop();
  }
});

test("decoding: typed values become text, invalid ids are dropped, missing time falls back to observed", () => {
  const body = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: "host.name", value: { stringValue: "n1" } }] },
        scopeLogs: [
          {
            scope: { name: "lib" },
            logRecords: [
              {
                timeUnixNano: "1700000000000000001",
                body: { kvlistValue: { values: [{ key: "a", value: { intValue: "5" } }] } },
                traceId: "5B8EFFF798038103D269B633813FC60C",
                spanId: "EEE19B7EC3C1B174",
              },
              { observedTimeUnixNano: 42, body: { arrayValue: { values: [{ boolValue: true }, { doubleValue: 1.5 }] } }, traceId: "zz", severityNumber: 99 },
            ],
          },
        ],
      },
    ],
  };
  const [a, b] = decodeOtlpLogsJson(body, 7n);
  assert.equal(a?.body, '{"a":"5"}');
  assert.equal(a?.timestamp, 1_700_000_000_000_000_001n);
  assert.equal(a?.traceId, "5b8efff798038103d269b633813fc60c");
  assert.equal(a?.attributes["otel.scope.name"], "lib");
  assert.equal(a?.resource["host.name"], "n1");
  assert.equal(b?.body, "[true,1.5]");
  assert.equal(b?.timestamp, 42n);
  assert.equal(b?.traceId, "");
  assert.equal(b?.severityNumber, 0);
});

test("hostile and malformed bodies get 4xx; a full buffer gets 503 with Retry-After", async () => {
  const ctx = fakeSourceContext("otlp");
  const src = otlpSource.create(otlpSourceSchema.parse({ address: "127.0.0.1:0", max_body_size: 4096 }), ctx);
  await src.start();
  const port = src.address?.()?.port as number;
  try {
    const cases: [string, string, Record<string, string> | undefined, number][] = [
      ["truncated JSON", '{"resourceLogs": [', undefined, 400],
      ["wrong shape", '{"resourceLogs": 5}', undefined, 400],
      ["not an object", "[1,2]", undefined, 400],
      ["deeply nested", "[".repeat(3000), undefined, 400],
      ["oversized", JSON.stringify({ resourceLogs: [], pad: "x".repeat(10_000) }), undefined, 413],
      ["protobuf", "\u0000\u0001", { "content-type": "application/x-protobuf" }, 415],
      ["empty request", "{}", undefined, 200],
    ];
    for (const [what, body, headers, want] of cases) {
      const res = await post(port, body, headers);
      assert.equal(res.status, want, what);
    }
    ctx.full = true;
    const res = await post(port, "{}");
    assert.equal(res.status, 503);
    assert.equal(res.retryAfter, "2");
    assert.equal(ctx.records.length, 0);
  } finally {
    await src.stop();
  }
});
