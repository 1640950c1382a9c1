// Tests for the file source: globs, start_at, multiline, partial lines, truncation, deletion, checkpoints.

import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, mkdirSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakeSourceContext } from "../../testing/fake-source-context.js";
import { waitFor } from "../../testing/spawn-agent.js";
import { expandGlob, matchesGlob, segmentRegExp } from "./glob.js";
import { MultilineFramer } from "./line-framer.js";
import { fileSource, fileSourceSchema } from "./index.js";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "meshlog-agent-file-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const cfg = (o: Record<string, unknown>) => fileSourceSchema.parse({ poll_interval: 10, rotate_wait: 50, ...o });

/** Runs `fn` while a file source with config `o` tails (fresh context unless `saved` checkpoints are given). */
async function tailing(
  o: Record<string, unknown>,
  fn: (ctx: ReturnType<typeof fakeSourceContext>) => Promise<void>,
  saved?: Map<string, unknown>,
): Promise<void> {
  const ctx = saved === undefined ? fakeSourceContext() : fakeSourceContext("s", saved);
  const src = fileSource.create(cfg(o), ctx);
  await src.start();
  try {
    await fn(ctx);
  } finally {
    await src.stop();
  }
}

test("glob segments: *, ?, sets, alternatives; * never crosses a folder", () => {
  const cases: [string, string, boolean][] = [
    ["*.log", "app.log", true],
    ["*.log", "app.log.1", false],
    ["app-?.log", "app-1.log", true],
    ["app-[0-9].log", "app-x.log", false],
    ["app-[!0-9].log", "app-x.log", true],
    ["{a,b}.log", "b.log", true],
    ["{a,b}.log", "c.log", false],
    ["a.b", "aXb", false],
    ["(x).log", "(x).log", true],
  ];
  for (const [p, name, want] of cases) assert.equal(segmentRegExp(p).test(name), want, `${p} vs ${name}`);
  assert.equal(matchesGlob("/var/log/pods/ns_p_u/c/0.log", "/var/log/pods/**"), true);
  assert.equal(matchesGlob("/var/log/a/b.log", "/var/log/*.log"), false);
});

test("expandGlob walks ** and returns sorted files only", async () => {
  await withDir(async (dir) => {
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    for (const f of ["x.log", "a/y.log", "a/b/z.log", "a/b/skip.txt"]) writeFileSync(join(dir, f), "");
    mkdirSync(join(dir, "dir.log"));
    assert.deepEqual(await expandGlob(join(dir, "**", "*.log")), [join(dir, "a/b/z.log"), join(dir, "a/y.log"), join(dir, "x.log")]);
    assert.deepEqual(await expandGlob(join(dir, "missing", "*.log")), []);
  });
});

test("java mode joins stack traces; start_pattern joins on the start pattern", () => {
  const java = new MultilineFramer({ mode: "java", timeout: 1000, max_lines: 500 });
  const lines = [
    "ERROR boom",
    "java.lang.IllegalStateException: x",
    "\tat a.B.c(B.java:1)",
    "\t... 3 more",
    "Caused by: y",
    "\tat d.E.f(E.java:2)",
    "INFO next",
  ];
  const out = lines.flatMap((l, i) => java.push(l, i * 10, i * 10 + 10));
  assert.deepEqual(
    out.map((o) => o.body),
    ["ERROR boom", "java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n\t... 3 more\nCaused by: y\n\tat d.E.f(E.java:2)"],
  );
  assert.equal(java.pendingStart(), 60);
  assert.deepEqual(
    java.flush().map((o) => o.body),
    ["INFO next"],
  );
  const sp = new MultilineFramer({ mode: "start_pattern", pattern: "^\\d{4}-", timeout: 1000, max_lines: 3 });
  const out2 = ["2024-01 a", "cont1", "cont2", "cont3", "2024-02 b"].flatMap((l, i) => sp.push(l, i, i + 1));
  assert.deepEqual(
    out2.map((o) => o.body),
    ["2024-01 a\ncont1\ncont2", "cont3"],
    "max_lines bounds a record",
  );
});

test("reads existing files from the beginning, follows appends, and holds a line until its newline", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "a.log");
    writeFileSync(f, "one\r\ntwo\npart");
    await tailing({ include: [join(dir, "*.log")], start_at: "beginning" }, async (ctx) => {
      await waitFor("two lines", () => ctx.records.length === 2);
      assert.deepEqual(
        ctx.records.map((r) => r.body),
        ["one", "two"],
      );
      assert.equal(ctx.records[0]?.attributes["log.file.path"], f);
      appendFileSync(f, "ial\nthree\n");
      await waitFor("four lines", () => ctx.records.length === 4);
      assert.deepEqual(ctx.records.map((r) => r.body).slice(2), ["partial", "three"]);
      const cp = [...ctx.saved.values()][0] as { offset: number };
      assert.equal(cp.offset, 23, "the checkpoint is the end of the last line");
    });
  });
});

test("start_at end skips existing content but reads files created later from their start", async () => {
  await withDir(async (dir) => {
    writeFileSync(join(dir, "old.log"), "old line\n");
    await tailing({ include: [join(dir, "*.log")], start_at: "end" }, async (ctx) => {
      appendFileSync(join(dir, "old.log"), "new line\n");
      writeFileSync(join(dir, "fresh.log"), "fresh 1\n");
      await waitFor("two lines", () => ctx.records.length === 2);
      assert.deepEqual(ctx.records.map((r) => r.body).sort(), ["fresh 1", "new line"]);
    });
  });
});

test("a checkpoint resumes where it stopped; a replaced file (fingerprint changed) starts over", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "a.log");
    writeFileSync(f, "l1\nl2\n");
    const saved = new Map<string, unknown>();
    await tailing({ include: [f], start_at: "beginning" }, (ctx) => waitFor("l1 l2", () => ctx.records.length === 2), saved);
    appendFileSync(f, "l3\n");
    const ctx2 = fakeSourceContext("s", saved);
    const s2 = fileSource.create(cfg({ include: [f], start_at: "beginning" }), ctx2);
    await s2.start();
    await waitFor("l3", () => ctx2.records.length === 1);
    assert.equal(ctx2.records[0]?.body, "l3");
    await s2.stop();
    truncateSync(f, 0);
    writeFileSync(f, "X1\nX2\nX3\nX4\n");
    const ctx3 = fakeSourceContext("s", saved);
    const s3 = fileSource.create(cfg({ include: [f], start_at: "end" }), ctx3);
    await s3.start();
    await waitFor("the replaced file from 0", () => ctx3.records.length === 4);
    assert.deepEqual(
      ctx3.records.map((r) => r.body),
      ["X1", "X2", "X3", "X4"],
    );
    await s3.stop();
  });
});

test("truncation in place restarts at 0; a deleted file is drained, then forgotten", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "a.log");
    writeFileSync(f, "aaaaaaaaaa\nbbbbbbbbbb\n");
    await tailing({ include: [f], start_at: "beginning" }, async (ctx) => {
      await waitFor("2", () => ctx.records.length === 2);
      truncateSync(f, 0);
      appendFileSync(f, "c\n");
      await waitFor("3", () => ctx.records.length === 3);
      assert.equal(ctx.records[2]?.body, "c");
      appendFileSync(f, "last words\n");
      unlinkSync(f);
      await waitFor("the checkpoint to be dropped", () => ctx.saved.size === 0);
      assert.equal(ctx.records.at(-1)?.body, "last words");
    });
  });
});

test("a paused buffer pauses the tail (emit not resolving stops reading)", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "a.log");
    writeFileSync(f, Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") + "\n");
    const ctx = fakeSourceContext();
    let open!: () => void;
    ctx.gate = new Promise((r) => (open = r));
    const src = fileSource.create(cfg({ include: [f], start_at: "beginning", read_size: 64 }), ctx);
    const started = src.start();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ctx.records.length, 0);
    ctx.gate = undefined;
    open();
    await started;
    await waitFor("all", () => ctx.records.length === 100);
    await src.stop();
  });
});

test("hostile input: binary garbage, an over-long line and invalid UTF-8 never stop the tail", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "a.log");
    writeFileSync(f, Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0a]), Buffer.alloc(5000, 0x41), Buffer.from("\nok\n")]));
    await tailing({ include: [f], start_at: "beginning", max_line_size: 1024, read_size: 1024 }, async (ctx) => {
      await waitFor("ok", () => ctx.records.some((r) => r.body === "ok"));
      const total = ctx.records.filter((r) => r.body.startsWith("A")).reduce((n, r) => n + r.body.length, 0);
      assert.equal(total, 5000, "the long line is split, not lost");
      assert.ok(ctx.records.every((r) => r.body.length <= 2048));
    });
  });
});

test("copytruncate, live or while the source was stopped, recovers the unread tail from the copy", async () => {
  await withDir(async (dir) => {
    const f = join(dir, "a.log");
    writeFileSync(f, "l1-aaaaaaaaaaaaaaaa\nl2-bbbbbbbbbbbbbbbb\n");
    const saved = new Map<string, unknown>();
    await tailing({ include: [f], start_at: "beginning" }, (ctx) => waitFor("l1 l2", () => ctx.records.length === 2), saved);
    appendFileSync(f, "l3-unread-before-rotation\n");
    copyFileSync(f, join(dir, "a.log.1"));
    truncateSync(f, 0);
    appendFileSync(f, "n1\n");
    const ctx2 = fakeSourceContext("s", saved);
    const s2 = fileSource.create(cfg({ include: [f], start_at: "beginning" }), ctx2);
    await s2.start();
    try {
      await waitFor("l3 and n1", () => ctx2.records.length === 2);
      assert.deepEqual(
        ctx2.records.map((r) => r.body),
        ["l3-unread-before-rotation", "n1"],
      );
      appendFileSync(f, "n2-live-before-copy\n");
      await waitFor("n2", () => ctx2.records.length === 3);
      appendFileSync(f, "n3-written-just-before-the-copy\n");
      copyFileSync(f, join(dir, "a.log.2"));
      truncateSync(f, 0);
      appendFileSync(f, "m1\n");
      await waitFor("n3 and m1", () => ctx2.records.length === 5);
      assert.deepEqual(
        ctx2.records.slice(3).map((r) => r.body),
        ["n3-written-just-before-the-copy", "m1"],
      );
    } finally {
      await s2.stop();
    }
  });
});
