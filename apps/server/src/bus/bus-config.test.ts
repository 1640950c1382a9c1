// Bus configuration: defaults (no bus), validation naming the setting, replicas rule, environment variables.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadServerConfig, serverConfigSchema } from "../config/server-config.js";
import { busConfigSchema, streamReplicas } from "./bus-config.js";

test("by default there is no bus: writes go straight to the store", () => {
  const c = serverConfigSchema.parse({});
  assert.equal(c.bus.kind, "none");
  assert.equal(c.bus.stream, "meshlog-ingest");
  assert.equal(c.bus.subjectPrefix, "meshlog.ingest");
});

test("replicas default to 3 with a cluster of 3 or more servers, else 1, unless set", () => {
  assert.equal(streamReplicas({ replicas: 0, servers: ["a:1", "b:1", "c:1"] }), 3);
  assert.equal(streamReplicas({ replicas: 0, servers: ["a:1", "b:1"] }), 1);
  assert.equal(streamReplicas({ replicas: 0, servers: ["a:1", "b:1", "c:1", "d:1", "e:1"] }), 3);
  assert.equal(streamReplicas({ replicas: 5, servers: ["a:1"] }), 5);
});

test("invalid bus settings are refused with a message naming the setting", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ kind: "nats" }, /at least one server/],
    [{ kind: "nats", servers: ["http://x:4222"] }, /nats:\/\/HOST:PORT/],
    [{ kind: "kafka" }, /kind|expected/i],
    [{ kind: "nats", servers: ["nats://a:4222"], token: "t", user: "u" }, /only one of bus.token/],
    [{ kind: "nats", servers: ["nats://a:4222"], tlsCert: "c.pem" }, /tlsCert and bus.tlsKey/],
    [{ subjectPrefix: "bad subject>" }, /dot-separated/],
    [{ stream: "has.dot" }, /letters, digits/],
    [{ maxBatchBytes: 100 }, /4096|too small/i],
    [{ replicas: 7 }, /5|too big/i],
    [{ unknownKey: 1 }, /unknownKey|unrecognized/i],
  ];
  for (const [input, msg] of bad) {
    const r = busConfigSchema.safeParse(input);
    assert.equal(r.success, false, JSON.stringify(input));
    assert.match(JSON.stringify(r.error?.issues), msg, JSON.stringify(input));
  }
  assert.throws(() => loadServerConfig([], { MESHLOG_BUS: "nats" }), /bus.servers/);
});

test("the environment sets the bus, with servers as a comma-separated list", () => {
  const c = loadServerConfig([], {
    MESHLOG_BUS: "nats",
    MESHLOG_BUS_SERVERS: "nats://127.0.0.1:4222, nats://127.0.0.1:4223,127.0.0.1:4224",
    MESHLOG_BUS_REPLICAS: "3",
  });
  assert.equal(c.bus.kind, "nats");
  assert.deepEqual(c.bus.servers, ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "127.0.0.1:4224"]);
  assert.equal(c.bus.replicas, 3);
});
