// The conformance specs of every HTTP receiver (valid requests and protocol-specific malformed ones).

import { elasticsearchRoutes } from "../elasticsearch/es-routes.js";
import { datadogRoutes } from "../datadog/datadog-routes.js";
import { lokiPushRoutes } from "../loki/loki-routes.js";
import { otlpRoutes } from "../otlp/otlp-routes.js";
import { zipkinRoutes } from "../zipkin/zipkin-routes.js";
import type { ReceiverSpec } from "./receiver-conformance.js";

const NOW_NS = () => BigInt(Date.now()) * 1_000_000n;
const JSON_HEADERS = { "content-type": "application/json" };

export const lokiSpec: ReceiverSpec = {
  name: "loki",
  module: lokiPushRoutes,
  path: "/loki/api/v1/push",
  okStatus: 204,
  recordsPerRequest: 2,
  valid: (m) => ({
    headers: JSON_HEADERS,
    body: JSON.stringify({
      streams: [
        {
          stream: { app: "conformance", level: "info" },
          values: [
            [String(NOW_NS()), `first ${m}`],
            [String(NOW_NS() + 1n), `second ${m}`, { trace_id: "abc" }],
          ],
        },
      ],
    }),
  }),
  malformed: [
    { title: "a JSON body without streams", request: { headers: JSON_HEADERS, body: '{"stream":[]}' }, status: 400, message: /streams/ },
    {
      title: "a non-numeric timestamp",
      request: { headers: JSON_HEADERS, body: '{"streams":[{"stream":{"a":"b"},"values":[["yesterday","x"]]}]}' },
      status: 400,
      message: /nanoseconds/,
    },
    {
      title: "an invalid label name",
      request: { headers: JSON_HEADERS, body: `{"streams":[{"stream":{"0bad":"b"},"values":[["${Date.now()}000000","x"]]}]}` },
      status: 400,
      message: /label/,
    },
    {
      title: "a protobuf body that is not snappy",
      request: { headers: { "content-type": "application/x-protobuf" }, body: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
      status: 400,
      message: /snappy/,
    },
    { title: "an unsupported content type", request: { headers: { "content-type": "text/plain" }, body: "hello" }, status: 415 },
  ],
};

const ndjson = { "content-type": "application/x-ndjson" };
export const elasticsearchSpec: ReceiverSpec = {
  name: "elasticsearch",
  module: elasticsearchRoutes,
  path: "/_bulk",
  okStatus: 200,
  recordsPerRequest: 2,
  auth: (token) => ({ authorization: `Basic ${Buffer.from(`elastic:${token}`).toString("base64")}` }),
  valid: (m) => ({
    headers: ndjson,
    body: `{"create":{"_index":"logs-conf-default"}}\n{"@timestamp":"${new Date().toISOString()}","message":"first ${m}"}\n{"index":{"_index":"logs-conf-default"}}\n{"message":"second ${m}","log":{"level":"warn"}}\n`,
  }),
  malformed: [
    {
      title: "a body without the final newline",
      request: { headers: ndjson, body: '{"create":{}}\n{"message":"x"}' },
      status: 400,
      message: /terminated by a newline/,
    },
    {
      title: "an action line that is not JSON",
      request: { headers: ndjson, body: 'create _index=x\n{"message":"x"}\n' },
      status: 400,
      message: /Malformed action\/metadata line \[1\]/,
    },
    {
      title: "an unknown action",
      request: { headers: ndjson, body: '{"upsert":{"_index":"x"}}\n{"message":"x"}\n' },
      status: 400,
      message: /expected field \[create\], \[delete\], \[index\] or \[update\]/,
    },
    {
      title: "an action without its source line",
      request: { headers: ndjson, body: '{"index":{"_index":"x"}}\n' },
      status: 400,
      message: /missing the source line/,
    },
  ],
};

export const otlpSpec: ReceiverSpec = {
  name: "otlp",
  module: otlpRoutes,
  path: "/v1/logs",
  okStatus: 200,
  recordsPerRequest: 2,
  valid: (m) => ({
    headers: JSON_HEADERS,
    body: JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "conf" } }] },
          scopeLogs: [
            {
              scope: { name: "s" },
              logRecords: [
                { timeUnixNano: String(NOW_NS()), severityNumber: 9, body: { stringValue: `first ${m}` } },
                { timeUnixNano: String(NOW_NS()), body: { stringValue: `second ${m}` } },
              ],
            },
          ],
        },
      ],
    }),
  }),
  malformed: [
    {
      title: "resourceLogs that is not an array",
      request: { headers: JSON_HEADERS, body: '{"resourceLogs":{"x":1}}' },
      status: 400,
      message: /resourceLogs: must be an array/,
    },
    {
      title: "a protobuf body with a truncated field",
      request: { headers: { "content-type": "application/x-protobuf" }, body: Buffer.from([0x0a, 0x7f, 0x0a]) },
      status: 400,
      message: /truncated/,
    },
    { title: "an unsupported content type", request: { headers: { "content-type": "text/plain" }, body: "hello" }, status: 415 },
  ],
};

export const datadogSpec: ReceiverSpec = {
  name: "datadog",
  module: datadogRoutes,
  path: "/api/v2/logs",
  okStatus: 202,
  recordsPerRequest: 2,
  auth: (token) => ({ "dd-api-key": token }),
  valid: (m) => ({
    headers: JSON_HEADERS,
    body: JSON.stringify([
      { message: `first ${m}`, status: "info", service: "conf", ddsource: "node", ddtags: "env:test", hostname: "h1", timestamp: Date.now() },
      { message: `second ${m}`, status: "error", service: "conf" },
    ]),
  }),
  malformed: [
    { title: "an array of numbers", request: { headers: JSON_HEADERS, body: "[1,2,3]" }, status: 400, message: /logs\[0\] must be a JSON object/ },
    { title: "a bad timestamp", request: { headers: JSON_HEADERS, body: '[{"message":"x","timestamp":"soon"}]' }, status: 400, message: /timestamp/ },
  ],
};

export const zipkinSpec: ReceiverSpec = {
  name: "zipkin",
  module: zipkinRoutes,
  path: "/api/v2/spans",
  okStatus: 202,
  recordsPerRequest: 2,
  valid: (m) => ({
    headers: JSON_HEADERS,
    body: JSON.stringify([
      {
        traceId: "79424a658fdb7c3d6ce29d34fec90a3b",
        id: "a3b72305e858447a",
        name: `first ${m}`,
        kind: "SERVER",
        timestamp: Date.now() * 1000,
        duration: 90,
        localEndpoint: { serviceName: "conf" },
      },
      {
        traceId: "79424a658fdb7c3d6ce29d34fec90a3b",
        id: "a3b72305e858447b",
        parentId: "a3b72305e858447a",
        name: `second ${m}`,
        kind: "CLIENT",
        timestamp: Date.now() * 1000,
        duration: 40,
        localEndpoint: { serviceName: "conf" },
      },
    ]),
  }),
  malformed: [
    { title: "an object instead of a span array", request: { headers: JSON_HEADERS, body: '{"traceId":"x"}' }, status: 400, message: /JSON array/ },
    {
      title: "Zipkin v1 JSON",
      request: { headers: JSON_HEADERS, body: '[{"traceId":"e1a322f83d15dc66","id":"e1a322f83d15dc66","name":"get","binaryAnnotations":[]}]' },
      status: 400,
      message: /only v2|v2/,
    },
    {
      title: "a span with a bad trace id",
      request: { headers: JSON_HEADERS, body: '[{"traceId":"xyz","id":"e1a322f83d15dc66","name":"get"}]' },
      status: 400,
      message: /traceId/,
    },
  ],
};

export const RECEIVER_SPECS: readonly ReceiverSpec[] = [lokiSpec, elasticsearchSpec, otlpSpec, datadogSpec, zipkinSpec];
