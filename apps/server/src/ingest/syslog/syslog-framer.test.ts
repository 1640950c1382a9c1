// SyslogFramer: octet counting and LF/CRLF/NUL framing detected per message, split chunks, oversized and
// hostile input.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { SyslogFramer } from "./syslog-framer.js";

const frame = (chunks: string[], max = 1024): { messages: string[]; oversized: number } => {
  const f = new SyslogFramer(max);
  const messages: string[] = [];
  let oversized = 0;
  for (const c of chunks) {
    const out = f.push(Buffer.from(c, "utf8"));
    messages.push(...out.messages.map((m) => m.toString("utf8")));
    oversized += out.oversized;
  }
  const { last } = f.end();
  if (last !== undefined) messages.push(last.toString("utf8"));
  return { messages, oversized };
};

describe("SyslogFramer", () => {
  const cases: { name: string; chunks: string[]; messages: string[]; oversized?: number; max?: number }[] = [
    { name: "an octet-counted message", chunks: ["11 <13>1 - - x"], messages: ["<13>1 - - x"] },
    { name: "LF-framed messages", chunks: ["<13>a\n<14>b\n"], messages: ["<13>a", "<14>b"] },
    { name: "CRLF and NUL trailers", chunks: ["<13>a\r\n<14>b\0<15>c\n"], messages: ["<13>a", "<14>b", "<15>c"] },
    { name: "framing mixed per message", chunks: ["5 <1>ab<2>cd\n3 <3>"], messages: ["<1>ab", "<2>cd", "<3>"] },
    { name: "an octet count split across chunks", chunks: ["1", "2 <13>1 ", "- - hi"], messages: ["<13>1 - - hi"] },
    { name: "a line split across chunks", chunks: ["<13>hel", "lo wor", "ld\n"], messages: ["<13>hello world"] },
    { name: "an unterminated last line at close", chunks: ["<13>last"], messages: ["<13>last"] },
    { name: "stray blank lines between frames", chunks: ["\n\n<13>a\n\r\n  <14>b\n"], messages: ["<13>a", "<14>b"] },
    { name: "a line starting with digits but no count (PRI-less date)", chunks: ["2024-01-01 host app: hi\n"], messages: ["2024-01-01 host app: hi"] },
    { name: "an octet-counted message containing LF", chunks: ["9 <13>a\nb\nc"], messages: ["<13>a\nb\nc"] },
    { name: "multibyte UTF-8 counted in bytes", chunks: ["9 <13>h\u00e9\u00e9"], messages: ["<13>h\u00e9\u00e9"] },
    { name: "a count of characters instead of bytes (deviation)", chunks: ["15 <13>h\u00e9llo world6 <14>ok"], messages: ["<13>h\u00e9llo world", "<14>ok"] },
    { name: "a byte count ending right before the next frame", chunks: ["10 <13>h\u00e9ll\u00f66 <14>ok"], messages: ["<13>h\u00e9ll\u00f6", "<14>ok"] },
    { name: "an oversized octet-counted message skipped, next kept", chunks: ["20 <13>0123456789abcdef<14>ok\n"], messages: ["<14>ok"], oversized: 1, max: 10 },
    { name: "an oversized line skipped to its LF, next kept", chunks: ["<13>0123456789", "abcdef\n<14>ok\n"], messages: ["<14>ok"], oversized: 1, max: 10 },
  ];
  for (const c of cases) {
    it(`frames ${c.name}`, () => {
      const out = frame(c.chunks, c.max);
      assert.deepEqual(out.messages, c.messages);
      assert.equal(out.oversized, c.oversized ?? 0);
    });
  }

  it("reports SYSLOG_FRAME_INVALID for an octet count of more than 10 digits, after the messages before it", () => {
    const f = new SyslogFramer(1024);
    const out = f.push(Buffer.from("<13>before\n12345678901 <13>x"));
    assert.deepEqual(out.messages.map(String), ["<13>before"]);
    assert.ok(out.error instanceof MeshlogError);
    assert.equal(out.error.code, "SYSLOG_FRAME_INVALID");
  });

  it("reports an octet-counted message cut short by the end of the connection", () => {
    const f = new SyslogFramer(1024);
    assert.deepEqual(f.push(Buffer.from("20 <13>only half")).messages, []);
    assert.deepEqual(f.end(), { truncated: true });
  });

  it("never buffers more than the limit for a hostile endless line", () => {
    const f = new SyslogFramer(4096);
    let oversized = 0;
    for (let i = 0; i < 1000; i++) {
      oversized += f.push(Buffer.alloc(1024, 0x41)).oversized;
      assert.ok(f.buffered <= 4096);
    }
    assert.equal(oversized, 1);
    assert.deepEqual(f.push(Buffer.from("\n<13>after\n")).messages.map(String), ["<13>after"]);
  });

  it("does not buffer a hostile huge octet count's payload", () => {
    const f = new SyslogFramer(4096);
    f.push(Buffer.from("9999999999 "));
    for (let i = 0; i < 100; i++) f.push(Buffer.alloc(65536, 0x42));
    assert.equal(f.buffered, 0);
  });

  it("frames the same messages however the byte stream is chunked (property)", () => {
    const msg = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `<13>${s.replace(/[\n\0\r]/g, " ")}`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(msg, fc.boolean()), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }),
        (msgs, cuts) => {
          const wire = Buffer.concat(msgs.map(([m, counted]) => Buffer.from(counted ? `${Buffer.byteLength(m)} ${m}` : `${m}\n`)));
          const f = new SyslogFramer(1024);
          const got: string[] = [];
          let pos = 0;
          for (const c of [...cuts, wire.length]) {
            if (pos >= wire.length) break;
            got.push(...f.push(wire.subarray(pos, Math.min(wire.length, pos + c))).messages.map(String));
            pos += c;
          }
          const { last } = f.end();
          if (last !== undefined) got.push(String(last));
          assert.deepEqual(
            got,
            msgs.map(([m]) => m.replace(/\s+$/, (t) => t)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
