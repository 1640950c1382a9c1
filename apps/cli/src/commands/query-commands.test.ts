// meshlog query/labels/tail against a stub Loki API on loopback: parameters sent, output formats, errors.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { WebSocketServer } from "ws";
import type { CliIo } from "../command.js";
import { queryCommand } from "./query.js";
import { labelsCommand } from "./labels.js";
import { tailCommand } from "./tail.js";

let server: Server;
let wss: WebSocketServer;
let addr = "";
const seen: { path: string; params: URLSearchParams; auth: string | undefined; org: string | undefined }[] = [];

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push({ path: url.pathname, params: url.searchParams, auth: req.headers.authorization, org: req.headers["x-scope-orgid"] as string | undefined });
    const q = url.searchParams.get("query") ?? "";
    res.setHeader("content-type", "application/json");
    if (q.includes("bad")) {
      res.statusCode = 400;
      res.setHeader("content-type", "text/plain");
      res.end("parse error at line 1, col 2: syntax error: unexpected IDENTIFIER");
    } else if (url.pathname === "/loki/api/v1/query_range" && q.startsWith("sum")) {
      res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result: [{ metric: { level: "error" }, values: [[1700000000, "3"]] }] } }));
    } else if (url.pathname === "/loki/api/v1/query_range") {
      res.end(
        JSON.stringify({
          status: "success",
          data: {
            resultType: "streams",
            result: [
              {
                stream: { app: "a" },
                values: [
                  ["1700000000000000002", "second"],
                  ["1700000000000000001", "first"],
                ],
              },
            ],
          },
        }),
      );
    } else if (url.pathname === "/loki/api/v1/query") {
      res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: { app: "a" }, value: [1700000000, "7"] }] } }));
    } else if (url.pathname === "/loki/api/v1/labels") {
      res.end(JSON.stringify({ status: "success", data: ["app", "env"] }));
    } else if (url.pathname === "/loki/api/v1/label/env/values") {
      res.end(JSON.stringify({ status: "success", data: ["dev", "prod"] }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  wss = new WebSocketServer({ server });
  wss.on("connection", (ws, req) => {
    seen.push({ path: "tail", params: new URL(req.url ?? "/", "http://x").searchParams, auth: req.headers.authorization, org: undefined });
    ws.send(
      JSON.stringify({
        streams: [
          {
            stream: { app: "a" },
            values: [
              ["1700000000000000001", "live 1"],
              ["1700000000000000002", "live 2"],
            ],
          },
        ],
        dropped_entries: null,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  addr = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
});

after(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

function io(env: Record<string, string> = {}): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: "",
    stderr: "",
    env: { MESHLOG_ADDR: addr, MESHLOG_TOKEN: "tok", ...env } as NodeJS.ProcessEnv,
    out: (s: string) => void (o.stdout += s),
    err: (s: string) => void (o.stderr += s),
  };
  return o;
}

test("query runs a range query by default and prints lines newest first", async () => {
  const o = io();
  assert.equal(await queryCommand.run(["--since", "2h", "--limit", "5", "--org-id", "t9", '{app="a"}'], o), 0);
  const req = seen.at(-1);
  assert.equal(req?.path, "/loki/api/v1/query_range");
  assert.equal(req?.params.get("since"), "2h");
  assert.equal(req?.params.get("limit"), "5");
  assert.equal(req?.auth, "Bearer tok");
  assert.equal(req?.org, "t9");
  assert.equal(o.stdout, '2023-11-14T22:13:20.000000002Z {app="a"} second\n2023-11-14T22:13:20.000000001Z {app="a"} first\n');
  const raw = io();
  await queryCommand.run(["--output", "raw", "--direction", "forward", '{app="a"}'], raw);
  assert.equal(raw.stdout, "first\nsecond\n");
});

test("query prints metric results and supports --instant and --output json", async () => {
  const m = io();
  await queryCommand.run(['sum by (level) (count_over_time({app="a"}[1m]))'], m);
  assert.equal(m.stdout, '{level="error"} 2023-11-14T22:13:20.000Z 3\n');
  const i = io();
  await queryCommand.run(["--instant", "--output", "json", 'count_over_time({app="a"}[1m])'], i);
  assert.equal(seen.at(-1)?.path, "/loki/api/v1/query");
  assert.equal(JSON.parse(i.stdout).resultType, "vector");
});

test("query reports the server's error and bad usage", async () => {
  await assert.rejects(queryCommand.run(["{bad"], io()), /400: parse error at line 1, col 2/);
  await assert.rejects(queryCommand.run(["--output", "xml", "{a}"], io()), /--output must be/);
  await assert.rejects(queryCommand.run(["--nope", "1", "{a}"], io()), /unknown option --nope/);
  await assert.rejects(queryCommand.run(['{app="a"}'], io({ MESHLOG_TOKEN: "" })), /no token/);
  await assert.rejects(queryCommand.run(["--addr", "ftp://x", '{app="a"}'], io()), /--addr must be/);
  const e = io();
  assert.equal(await queryCommand.run([], e), 2);
});

test("labels lists names or values", async () => {
  const n = io();
  await labelsCommand.run([], n);
  assert.equal(n.stdout, "app\nenv\n");
  const v = io();
  await labelsCommand.run(["env", "--output", "json"], v);
  assert.equal(v.stdout, '["dev","prod"]\n');
});

test("tail prints streamed lines and stops after --max-lines", async () => {
  const o = io();
  assert.equal(await tailCommand.run(["--max-lines", "2", "--output", "raw", '{app="a"}'], o), 0);
  assert.equal(o.stdout, "live 1\nlive 2\n");
  assert.equal(seen.at(-1)?.params.get("query"), '{app="a"}');
});
