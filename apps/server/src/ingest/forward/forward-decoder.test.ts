// Forward-protocol decoding: stream splitting, every mode, times, options, and malformed, truncated,
// oversized and hostile input.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { MeshlogError } from "@meshlog/core";
import { EventTime, forwardExtensionCodec, forwardTimeToNs } from "./event-time.js";
import { ForwardDecoder, type ForwardFrame } from "./forward-decoder.js";
import { MsgpackSplitter } from "./msgpack-splitter.js";

const enc = (v: unknown): Uint8Array => encode(v, { extensionCodec: forwardExtensionCodec });
const packed = (...entries: unknown[]): Buffer => Buffer.concat(entries.map((e) => enc(e)));
const decode = (v: unknown, max = 1 << 20): ForwardFrame => new ForwardDecoder(max).decode(enc(v));
const events = (f: ForwardFrame): Extract<ForwardFrame, { kind: "events" }> => {
  assert.equal(f.kind, "events");
  return f as Extract<ForwardFrame, { kind: "events" }>;
};
const code = (c: string) => (err: unknown) => err instanceof MeshlogError && err.code === c;

describe("ForwardDecoder", () => {
  it("decodes the captured fluent-logger PackedForward vector (size = byte length, compressed text)", () => {
    const hex =
      "93aa6170702e616363657373c42192d7006553f100075bcd1581a36d7367b06869205061636b6564466f727761726484a56368756e6bb84f4456462f38586b734d47776a515837656e397271413d3da473697a6521aa636f6d70726573736564a474657874b26576656e74456e7472794461746153697a6521";
    const f = events(new ForwardDecoder(1 << 20).decode(Buffer.from(hex, "hex")));
    assert.equal(f.mode, "packed");
    assert.equal(f.tag, "app.access");
    assert.deepEqual(f.entries, [{ time: 1_700_000_000_123_456_789n, record: { msg: "hi PackedForward" } }]);
    assert.equal(f.options.chunk, "ODVF/8XksMGwjQX7en9rqA==");
  });

  it("decodes the captured fluent-logger CompressedPackedForward vector", () => {
    const hex =
      "93aa6170702e616363657373c43f1f8b08000000000000039b749d2135f823037bf459d1c6c5b9c5e9bb3232159cf3730b8a528b8b5353021293b35353dcf28bca138b520043e32d062b00000084a56368756e6bb8763846596e6f617447527a4f307a676b683133724f513d3da473697a653faa636f6d70726573736564a4677a6970b26576656e74456e7472794461746153697a652b";
    const f = events(new ForwardDecoder(1 << 20).decode(Buffer.from(hex, "hex")));
    assert.equal(f.mode, "compressed");
    assert.equal(f.entries.length, 1);
    assert.equal(f.entries[0]?.time, 1_700_000_000_123_456_789n);
  });

  it("decodes the captured @fluent-org Forward-mode vector with an integer time", () => {
    const hex =
      "93b07461675f7072656669782e6c6162656c9192ce6b05983981a3666f6fa362617282a473697a6501a56368756e6bb8346653466a4a64796a535674477557755637756a35413d3d";
    const f = events(new ForwardDecoder(1 << 20).decode(Buffer.from(hex, "hex")));
    assert.equal(f.mode, "forward");
    assert.deepEqual(f.entries, [{ time: 1_795_528_761_000_000_000n, record: { foo: "bar" } }]);
    assert.equal(f.options.size, 1);
  });

  const modes: { name: string; msg: unknown; mode: string; n: number }[] = [
    { name: "Message with options", msg: ["t", 1, { a: 1 }, { chunk: "c1" }], mode: "message", n: 1 },
    { name: "Message without options", msg: ["t", 1.5, { a: 1 }], mode: "message", n: 1 },
    {
      name: "Forward",
      msg: [
        "t",
        [
          [1, { a: 1 }],
          [2, { a: 2 }],
        ],
        { size: 2 },
      ],
      mode: "forward",
      n: 2,
    },
    { name: "PackedForward as bin", msg: ["t", packed([1, { a: 1 }], [2, { b: 2 }])], mode: "packed", n: 2 },
    {
      name: "CompressedPackedForward gzip, two gzip members",
      msg: ["t", Buffer.concat([gzipSync(packed([1, { a: 1 }])), gzipSync(packed([2, { a: 2 }]))]), { compressed: "gzip", size: 2 }],
      mode: "compressed",
      n: 2,
    },
    {
      name: "CompressedPackedForward zstd",
      msg: ["t", Buffer.from("28b52ffd0458e1000092ce6553f10081a36c6f67a27a3192ce6553f10181a36c6f67a27a32f2e231aa", "hex"), { compressed: "zstd" }],
      mode: "compressed",
      n: 2,
    },
    {
      name: "Fluent Bit v2 entries with metadata",
      msg: ["t", packed([[new EventTime(5, 6), { otlp: { x: 1 } }], { log: "m" }]), { metadata: 1 }],
      mode: "packed",
      n: 1,
    },
  ];
  for (const c of modes) {
    it(`decodes ${c.name}`, () => {
      const f = events(decode(c.msg));
      assert.equal(f.mode, c.mode);
      assert.equal(f.entries.length, c.n);
      assert.equal(f.invalidEntries.length, 0);
    });
  }

  it("decodes PackedForward sent as a msgpack str of raw bytes (Fluentd out_forward)", () => {
    const entries = packed([new EventTime(1, 2), { a: "\u00e9" }], [3, { b: 1 }]);
    assert.ok(entries.length < 256);
    const msg = Buffer.concat([Buffer.from([0x92, 0xa1, 0x74, 0xd9, entries.length]), entries]);
    const f = events(new ForwardDecoder(1024).decode(msg));
    assert.equal(f.mode, "packed");
    assert.deepEqual(f.entries, [
      { time: 1_000_000_002n, record: { a: "\u00e9" } },
      { time: 3_000_000_000n, record: { b: 1 } },
    ]);
  });

  it("keeps Fluent Bit v2 metadata and exact EventTime nanoseconds", () => {
    const f = events(decode(["t", packed([[new EventTime(1_700_000_000, 999_999_999), { k: "v" }], { log: "m" }])]));
    assert.deepEqual(f.entries[0], { time: 1_700_000_000_999_999_999n, record: { log: "m" }, metadata: { k: "v" } });
  });

  it("accepts EventTime encoded as ext8 as well as fixext8", () => {
    // [ "t", ext8(len 8, type 0), {} ]
    const ext8 = Buffer.from("93a174c708000000000100000002" + "80", "hex");
    const f = events(new ForwardDecoder(1024).decode(ext8));
    assert.equal(f.entries[0]?.time, 1_000_000_002n);
  });

  it("decodes a PING with a nil username (fluent-logger)", () => {
    const f = decode(["PING", "host", "salt", "digest", null, ""]);
    assert.equal(f.kind, "ping");
    if (f.kind === "ping") assert.equal(f.username, "");
  });

  it("treats nil as a heartbeat", () => assert.deepEqual(decode(null), { kind: "heartbeat" }));

  it("skips malformed entries and reports them, keeping the good ones", () => {
    const f = events(decode(["t", [[1, { ok: 1 }], [1, "not a map"], ["x", {}], [1], [[1, "bad meta"], {}], [-1, {}]]]));
    assert.equal(f.entries.length, 1);
    assert.deepEqual(
      f.invalidEntries.map((e) => e.index),
      [1, 2, 3, 4, 5],
    );
  });

  const bad: { name: string; bytes: () => Uint8Array; code: string }[] = [
    { name: "a bare map", bytes: () => enc({ a: 1 }), code: "FORWARD_FRAME_INVALID" },
    { name: "a one-element array", bytes: () => enc(["t"]), code: "FORWARD_FRAME_INVALID" },
    { name: "a non-string tag", bytes: () => enc([1, 2, {}]), code: "FORWARD_FRAME_INVALID" },
    { name: "a HELO from a client", bytes: () => enc(["HELO", {}]), code: "FORWARD_FRAME_INVALID" },
    { name: "a PING with 4 elements", bytes: () => enc(["PING", "h", "s", "d"]), code: "FORWARD_FRAME_INVALID" },
    { name: "a Message with 5 elements", bytes: () => enc(["t", 1, {}, {}, {}]), code: "FORWARD_FRAME_INVALID" },
    { name: "options that are not a map", bytes: () => enc(["t", [[1, {}]], "x"]), code: "FORWARD_FRAME_INVALID" },
    { name: "a numeric chunk id", bytes: () => enc(["t", [[1, {}]], { chunk: 5 }]), code: "FORWARD_FRAME_INVALID" },
    { name: "a size that fits nothing", bytes: () => enc(["t", [[1, {}]], { size: 7 }]), code: "FORWARD_SIZE_MISMATCH" },
    { name: "garbage claiming gzip", bytes: () => enc(["t", Buffer.from("not gzip"), { compressed: "gzip" }]), code: "FORWARD_DECOMPRESS_FAILED" },
    { name: "garbage claiming zstd", bytes: () => enc(["t", Buffer.from("not zstd"), { compressed: "zstd" }]), code: "FORWARD_DECOMPRESS_FAILED" },
    { name: "an unknown compression", bytes: () => enc(["t", packed([1, {}]), { compressed: "lz4" }]), code: "FORWARD_DECOMPRESS_FAILED" },
    { name: "packed bytes that are not msgpack", bytes: () => enc(["t", Buffer.from([0x92, 0xc1]), {}]), code: "FORWARD_FRAME_INVALID" },
    { name: "a gzip bomb over the limit", bytes: () => enc(["t", gzipSync(Buffer.alloc(4 << 20)), { compressed: "gzip" }]), code: "FORWARD_FRAME_TOO_LARGE" },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => new ForwardDecoder(1 << 20).decode(c.bytes()), code(c.code));
    });
  }

  it("converts times exactly", () => {
    assert.equal(forwardTimeToNs(new EventTime(4294967295, 999_999_999)), 4_294_967_295_999_999_999n);
    assert.equal(forwardTimeToNs(1_700_000_000), 1_700_000_000_000_000_000n);
    assert.equal(forwardTimeToNs(1_700_000_000.25), 1_700_000_000_250_000_000n);
    assert.throws(() => forwardTimeToNs(new EventTime(1, 1_000_000_000)), code("FORWARD_ENTRY_INVALID"));
    assert.throws(() => forwardTimeToNs(Number.NaN), code("FORWARD_ENTRY_INVALID"));
  });
});

describe("MsgpackSplitter", () => {
  const split = (chunks: Uint8Array[], max = 1 << 20): unknown[] => {
    const s = new MsgpackSplitter(max);
    const d = new ForwardDecoder(max);
    const out: unknown[] = [];
    for (const c of chunks) {
      s.push(c);
      for (let o = s.next(); o !== undefined; o = s.next()) out.push(d.decode(o));
    }
    return out;
  };

  it("cuts a stream into the same frames however it is chunked (property)", () => {
    const frameArb = fc.oneof(
      fc.constant(null),
      fc.tuple(
        fc.string({ minLength: 1, maxLength: 10 }),
        fc.array(
          fc.tuple(fc.nat(), fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.boolean()), { maxKeys: 4 })),
          { maxLength: 5 },
        ),
      ),
    );
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 30 }), (frames, cuts) => {
        const wire = Buffer.concat(frames.map((f) => enc(f === null ? null : [f[0], f[1].map(([t, r]) => [t, r])])));
        const chunks: Uint8Array[] = [];
        let pos = 0;
        for (const c of [...cuts, wire.length]) {
          if (pos >= wire.length) break;
          chunks.push(wire.subarray(pos, pos + c));
          pos += c;
        }
        const got = split(chunks);
        assert.equal(got.length, frames.length);
      }),
      { numRuns: 200 },
    );
  });

  it("waits for a truncated object instead of failing", () => {
    const s = new MsgpackSplitter(1024);
    const bytes = enc(["t", [[1, { a: "x".repeat(100) }]]]);
    s.push(bytes.subarray(0, bytes.length - 1));
    assert.equal(s.next(), undefined);
    s.push(bytes.subarray(bytes.length - 1));
    assert.ok(s.next() !== undefined);
  });

  const hostile: { name: string; bytes: Uint8Array; code: string }[] = [
    { name: "the reserved byte 0xc1", bytes: Buffer.from([0xc1]), code: "FORWARD_FRAME_INVALID" },
    { name: "a bin32 claiming 4 GiB", bytes: Buffer.from([0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]), code: "FORWARD_FRAME_TOO_LARGE" },
    { name: "an array32 claiming 4 billion elements", bytes: Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]), code: "FORWARD_FRAME_TOO_LARGE" },
    { name: "a map32 claiming 4 billion pairs", bytes: Buffer.from([0xdf, 0xff, 0xff, 0xff, 0xff]), code: "FORWARD_FRAME_TOO_LARGE" },
  ];
  for (const c of hostile) {
    it(`refuses ${c.name} without allocating it`, () => {
      const s = new MsgpackSplitter(1 << 20);
      s.push(c.bytes);
      assert.throws(() => s.next(), code(c.code));
    });
  }

  it("handles 100k levels of nesting without exhausting the stack", () => {
    const depth = 100_000;
    const bytes = Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
    const s = new MsgpackSplitter(1 << 20);
    s.push(bytes);
    const obj = s.next();
    assert.equal(obj?.length, depth + 1);
  });

  it("refuses an endless stream of small chunks that never completes an object beyond the limit", () => {
    const s = new MsgpackSplitter(4096);
    s.push(Buffer.from([0xdc, 0xff, 0xff]));
    assert.throws(() => {
      for (let i = 0; i < 10_000; i++) {
        s.push(Buffer.alloc(16, 0x90));
        s.next();
      }
    }, code("FORWARD_FRAME_TOO_LARGE"));
    assert.ok(s.buffered < 4096 + 64);
  });
});
