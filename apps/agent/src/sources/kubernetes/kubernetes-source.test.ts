// Tests for the kubernetes source: path metadata, CRI partial joining, checkpoint never passing a partial.

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeSourceContext } from "../../testing/fake-source-context.js";
import { waitFor } from "../../testing/spawn-agent.js";
import { ContainerFramer } from "./container-framer.js";
import { kubernetesSource, kubernetesSourceSchema } from "./index.js";
import { kubernetesPathInfo } from "./kubernetes-path.js";

const ID = "a".repeat(64);

test("kubelet paths give namespace, pod, uid and container; other paths give nothing", () => {
  const cases: [string, ReturnType<typeof kubernetesPathInfo>][] = [
    ["/var/log/pods/shop_cart-7d9f_0b7e-11ee/cart/0.log", { namespace: "shop", pod: "cart-7d9f", uid: "0b7e-11ee", container: "cart" }],
    [`/var/log/containers/cart-7d9f_shop_istio-proxy-${ID}.log`, { pod: "cart-7d9f", namespace: "shop", container: "istio-proxy", containerId: ID }],
    ["/var/log/containers/not-a-kubelet-name.log", undefined],
    ["/var/log/pods/bad/0.log", undefined],
    ["", undefined],
  ];
  for (const [path, want] of cases) assert.deepEqual(kubernetesPathInfo(path), want, path);
});

test("the container framer joins P parts per stream and holds the checkpoint at the first part", () => {
  const f = new ContainerFramer(1 << 20);
  const lines = [
    "2024-01-01T00:00:00.000000001Z stdout P hello ",
    "2024-01-01T00:00:00.000000002Z stderr F err line",
    "2024-01-01T00:00:00.000000003Z stdout F world",
    "plain text",
  ];
  let off = 0;
  const out = [];
  const holds: (number | undefined)[] = [];
  for (const l of lines) {
    out.push(...f.push(l, off, off + l.length + 1));
    holds.push(f.pendingStart());
    off += l.length + 1;
  }
  assert.deepEqual(
    out.map((o) => o.body),
    ["err line", "hello world", "plain text"],
  );
  assert.deepEqual(holds, [0, 0, undefined, undefined]);
  assert.equal(out[1]?.timestamp, 1_704_067_200_000_000_001n, "a joined line keeps its first part's time");
  assert.equal(out[1]?.attributes?.["log.iostream"], "stdout");
  f.push("2024-01-01T00:00:00Z stdout P dangling", 0, 10);
  assert.deepEqual(
    f.flush().map((o) => [o.body, o.attributes?.["log.partial"]]),
    [["dangling", "true"]],
  );
});

test("container logs under a pods folder arrive joined, with pod metadata and a namespace label", async () => {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-k8s-"));
  try {
    const podDir = join(dir, "pods", "shop_cart-1_uid-9", "cart");
    mkdirSync(podDir, { recursive: true });
    const f = join(podDir, "0.log");
    writeFileSync(f, "2024-01-01T00:00:00Z stdout P part one, \n");
    const ctx = fakeSourceContext();
    const src = kubernetesSource.create(kubernetesSourceSchema.parse({ include: [join(dir, "pods", "*", "*", "*.log")], poll_interval: 10 }), ctx);
    await src.start();
    try {
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(ctx.records.length, 0, "a partial line waits for its end");
      appendFileSync(f, "2024-01-01T00:00:00Z stdout F part two\n");
      await waitFor("the joined line", () => ctx.records.length === 1);
      const r = ctx.records[0];
      assert.equal(r?.body, "part one, part two");
      assert.equal(r?.resource["k8s.pod.name"], "cart-1");
      assert.equal(r?.resource["k8s.pod.uid"], "uid-9");
      assert.equal(r?.resource["k8s.container.name"], "cart");
      assert.equal(r?.labels.namespace, "shop");
    } finally {
      await src.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("java multiline joins a stack trace per stream after CRI unwrapping, keeping the first line's time", () => {
  const f = new ContainerFramer(1 << 20, { mode: "java", timeout: 1000, max_lines: 500 });
  const lines = [
    "2024-01-01T00:00:01Z stderr F java.lang.RuntimeException: boom",
    "2024-01-01T00:00:02Z stdout F unrelated stdout line",
    "2024-01-01T00:00:03Z stderr F \tat a.B.c(B.java:1)",
    "2024-01-01T00:00:04Z stderr F Caused by: x",
    "2024-01-01T00:00:05Z stderr F next error",
  ];
  let off = 0;
  const out = [];
  for (const l of lines) {
    out.push(...f.push(l, off, off + l.length + 1));
    off += l.length + 1;
  }
  assert.deepEqual(
    out.map((o) => o.body),
    ["java.lang.RuntimeException: boom\n\tat a.B.c(B.java:1)\nCaused by: x"],
  );
  assert.equal(out[0]?.timestamp, 1_704_067_201_000_000_000n);
  assert.equal(f.pendingStart(), (lines[0] as string).length + 1, "the held stdout line keeps the checkpoint at its start");
  assert.deepEqual(
    f
      .flush()
      .map((o) => o.body)
      .sort(),
    ["next error", "unrelated stdout line"],
  );
});
