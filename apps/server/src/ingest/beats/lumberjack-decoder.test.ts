// LumberjackDecoder: the reference vector (plain and compressed), any split of the stream, v1 data frames, ACK
// bytes, and hostile input (unknown version/type, oversized frames, zlib bombs, truncation, misplaced frames).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { MeshlogError } from "@meshlog/core";
import { ackFrame, LumberjackDecoder, type LumberjackFrame } from "./lumberjack-decoder.js";
import { compressedFrame, dataFrame, jsonFrame, REFERENCE_VECTOR as VECTOR, windowFrame } from "./lumberjack-test-client.js";

const VECTOR_EVENT = '{"@timestamp":"2024-01-01T00:00:00.000Z","@metadata":{"beat":"filebeat","type":"_doc","version":"8.17.0"},"message":"hello"}';

const LIMITS = { maxFrameBytes: 1 << 20, maxDecompressedBytes: 1 << 20, maxWindowSize: 4096 };

function decodeAll(bytes: Buffer, limits = LIMITS): { frames: LumberjackFrame[]; error?: MeshlogError; buffered: number } {
  const d = new LumberjackDecoder(limits);
  const r = d.push(bytes);
  return { frames: r.frames, ...(r.error !== undefined ? { error: r.error } : {}), buffered: d.buffered };
}

const simple = (f: LumberjackFrame): unknown =>
  f.kind === "json" ? { kind: f.kind, seq: f.seq, text: f.payload.toString() } : f.kind === "window" ? { kind: f.kind, count: f.count, v: f.version } : f;

describe("LumberjackDecoder", () => {
  for (const name of ["uncompressed", "compressed"] as const) {
    it(`decodes the ${name} reference batch into a window and its one event`, () => {
      const { frames, error, buffered } = decodeAll(Buffer.from(VECTOR[name], "hex"));
      assert.equal(error, undefined);
      assert.equal(buffered, 0);
      assert.deepEqual(frames.map(simple), [
        { kind: "window", count: 1, v: 2 },
        { kind: "json", seq: 1, text: VECTOR_EVENT },
      ]);
    });

    it(`decodes the ${name} reference batch fed one byte at a time`, () => {
      const bytes = Buffer.from(VECTOR[name], "hex");
      const d = new LumberjackDecoder(LIMITS);
      const frames: LumberjackFrame[] = [];
      for (let i = 0; i < bytes.length; i++) {
        const r = d.push(bytes.subarray(i, i + 1));
        assert.equal(r.error, undefined);
        frames.push(...r.frames);
      }
      assert.deepEqual(frames.map(simple), [
        { kind: "window", count: 1, v: 2 },
        { kind: "json", seq: 1, text: VECTOR_EVENT },
      ]);
    });
  }

  it("encodes the reference ACK and keepalive bytes", () => {
    assert.equal(ackFrame(2, 1).toString("hex"), VECTOR.ack1);
    assert.equal(ackFrame(2, 0).toString("hex"), VECTOR.keepalive);
    assert.equal(ackFrame(1, 7).toString("hex"), "314100000007");
  });

  it("decodes a compressed frame of many events split at arbitrary points", () => {
    const inner = Buffer.concat(Array.from({ length: 50 }, (_, i) => jsonFrame(i + 1, { message: `m${i}`, n: i })));
    const bytes = Buffer.concat([windowFrame(50), compressedFrame(inner), windowFrame(1), jsonFrame(1, { message: "after" })]);
    for (const step of [1, 3, 7, 64, 1000]) {
      const d = new LumberjackDecoder(LIMITS);
      const frames: LumberjackFrame[] = [];
      for (let i = 0; i < bytes.length; i += step) frames.push(...d.push(bytes.subarray(i, i + step)).frames);
      assert.equal(frames.length, 53, `step ${step}`);
      assert.equal(frames.filter((f) => f.kind === "json").length, 51);
      const last = frames[52];
      assert.ok(last?.kind === "json" && JSON.parse(last.payload.toString()).message === "after");
    }
  });

  it("decodes v1 window, data and compressed data frames", () => {
    const bytes = Buffer.concat([
      windowFrame(2, 1),
      dataFrame(1, { line: "one", file: "/var/log/a", host: "h1" }),
      compressedFrame(dataFrame(2, { line: "two", "k é": "v ü" }), 6, 1),
    ]);
    const { frames, error } = decodeAll(bytes);
    assert.equal(error, undefined);
    assert.deepEqual(frames, [
      { kind: "window", version: 1, count: 2 },
      { kind: "data", version: 1, seq: 1, fields: { line: "one", file: "/var/log/a", host: "h1" } },
      { kind: "data", version: 1, seq: 2, fields: { line: "two", "k é": "v ü" } },
    ]);
  });

  it("keeps a partial frame buffered and reports it", () => {
    const bytes = Buffer.from(VECTOR.uncompressed, "hex");
    const { frames, error, buffered } = decodeAll(bytes.subarray(0, bytes.length - 5));
    assert.equal(error, undefined);
    assert.equal(frames.length, 1, "only the window frame is complete");
    assert.equal(buffered, bytes.length - 5 - 6);
  });

  const bomb = deflateSync(Buffer.alloc(8 * 1024 * 1024, 0x20), { level: 9 });
  const hostile: { name: string; bytes: Buffer; code: string; message: RegExp }[] = [
    { name: "an unknown version byte", bytes: Buffer.from("3357000000010000", "hex"), code: "BEATS_FRAME_INVALID", message: /version byte 0x33 '3'/ },
    { name: "an unknown frame type", bytes: Buffer.from("325a00000001", "hex"), code: "BEATS_FRAME_INVALID", message: /frame type 0x5a 'Z'/ },
    { name: "an ACK frame from the client", bytes: Buffer.from("324100000001", "hex"), code: "BEATS_FRAME_INVALID", message: /ACK frame from the client/ },
    { name: "a window over maxWindowSize", bytes: windowFrame(0xffffffff), code: "BEATS_WINDOW_INVALID", message: /4294967295 events .*beats\.maxWindowSize/ },
    {
      name: "a JSON frame over the frame limit (before its payload arrives)",
      bytes: Buffer.from("324a00000001ffffffff", "hex"),
      code: "BEATS_FRAME_TOO_LARGE",
      message: /JSON data frame of 4294967295 bytes .*ingest\.maxBodyBytes/,
    },
    {
      name: "a compressed frame over the frame limit",
      bytes: Buffer.from("324300ffffff", "hex"),
      code: "BEATS_FRAME_TOO_LARGE",
      message: /compressed frame of 16777215 bytes/,
    },
    {
      name: "a zlib bomb",
      bytes: Buffer.concat([Buffer.from("2C"), Buffer.from([0, 0, (bomb.length >> 8) & 0xff, bomb.length & 0xff]), bomb]),
      code: "BEATS_FRAME_TOO_LARGE",
      message: /inflates to more than 1048576 bytes/,
    },
    {
      name: "a compressed frame that is not zlib",
      bytes: Buffer.from("324300000004deadbeef", "hex"),
      code: "BEATS_DECOMPRESS_FAILED",
      message: /not a valid zlib/,
    },
    {
      name: "a compressed frame whose payload ends inside an event",
      bytes: compressedFrame(jsonFrame(1, { message: "x" }).subarray(0, 12)),
      code: "BEATS_FRAME_INVALID",
      message: /ends inside a frame/,
    },
    { name: "a window frame inside a compressed frame", bytes: compressedFrame(windowFrame(1)), code: "BEATS_FRAME_INVALID", message: /window frame inside/ },
    {
      name: "a compressed frame inside a compressed frame",
      bytes: compressedFrame(compressedFrame(jsonFrame(1, {}))),
      code: "BEATS_FRAME_INVALID",
      message: /compressed frame inside a compressed frame/,
    },
    {
      name: "a v1 data frame announcing more pairs than fit the limit",
      bytes: Buffer.from("3144000000010fffffff", "hex"),
      code: "BEATS_FRAME_TOO_LARGE",
      message: /v1 data frame of 268435455 pairs/,
    },
    {
      name: "a v1 data frame with a key longer than the limit",
      bytes: Buffer.from("314400000001000000017fffffff", "hex"),
      code: "BEATS_FRAME_TOO_LARGE",
      message: /v1 data frame of \d+ bytes/,
    },
  ];
  for (const c of hostile) {
    it(`refuses ${c.name} after returning the frames before it, and decodes nothing more`, () => {
      const good = Buffer.concat([windowFrame(1), jsonFrame(1, { message: "good" })]);
      const d = new LumberjackDecoder(LIMITS);
      const r = d.push(Buffer.concat([good, c.bytes]));
      assert.equal(r.frames.length, 2, "the window and event before the bad frame");
      assert.ok(r.error instanceof MeshlogError);
      assert.equal(r.error.code, c.code);
      assert.match(r.error.message, c.message);
      assert.deepEqual(d.push(good).frames, [], "a failed decoder stays failed");
    });
  }

  it("survives random bytes: every outcome is frames or a MeshlogError, never a crash", () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 256;
    for (let round = 0; round < 300; round++) {
      const prefix = round % 2 === 0 ? Buffer.from(VECTOR.compressed, "hex") : Buffer.alloc(0);
      const noise = Buffer.from(Array.from({ length: 1 + (round % 40) }, () => Math.floor(rnd())));
      // Mutate a valid batch at one position, or append noise.
      const bytes = Buffer.concat([prefix, noise]);
      if (prefix.length > 0) bytes[Math.floor((rnd() / 256) * prefix.length)] = Math.floor(rnd());
      const r = new LumberjackDecoder(LIMITS).push(bytes);
      assert.ok(r.error === undefined || r.error instanceof MeshlogError);
    }
  });
});
