// Test support: a Lumberjack v2 sender laid out like Beats' (window frame, events numbered 1..N per window, JSON
// frames optionally inside one zlib-compressed frame) that records every ACK it reads. Used only by *.test.ts files.

import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { deflateSync } from "node:zlib";

/** The Lumberjack v2 reference vector (go-lumber layout): one Filebeat event, uncompressed and compressed; ACK 1; keepalive. */
export const REFERENCE_VECTOR = {
  uncompressed:
    "325700000001324a000000010000007c7b224074696d657374616d70223a22323032342d30312d30315430303a30303a30302e3030305a222c22406d65746164617461223a7b2262656174223a2266696c6562656174222c2274797065223a225f646f63222c2276657273696f6e223a22382e31372e30227d2c226d657373616765223a2268656c6c6f227d",
  compressed:
    "32570000000132430000007a785e1dca310bc2301086e1f857be390d972028377576767291d39e1a486c318720b5ff5d2cbcc333bce9e09cdb38e7be337acb559b499dc04894b61dc58ee29188d702119de0d1573519c4043ce3a26260dc72d1951ef699148cf3305ee1f1d657cbe3138c7d88bb40583caab626f7fff4d052462c3f348025b5",
  ack1: "324100000001",
  keepalive: "324100000000",
};
const u32 = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** `'2' 'W'` + count. */
export function windowFrame(count: number, version: 1 | 2 = 2): Buffer {
  return Buffer.concat([Buffer.from(version === 1 ? "1W" : "2W"), u32(count)]);
}

/** `'2' 'J'` + seq + length + JSON text (objects are serialized, strings sent as they are). */
export function jsonFrame(seq: number, event: unknown): Buffer {
  const payload = Buffer.from(typeof event === "string" ? event : JSON.stringify(event));
  return Buffer.concat([Buffer.from("2J"), u32(seq), u32(payload.length), payload]);
}

/** `'2' 'C'` + length + zlib stream of `inner`. */
export function compressedFrame(inner: Buffer, level = 3, version: 1 | 2 = 2): Buffer {
  const z = deflateSync(inner, { level });
  return Buffer.concat([Buffer.from(version === 1 ? "1C" : "2C"), u32(z.length), z]);
}

/** `'1' 'D'` + seq + pair count + (key length, key, value length, value)*. */
export function dataFrame(seq: number, fields: Record<string, string>): Buffer {
  const parts = [Buffer.from("1D"), u32(seq), u32(Object.keys(fields).length)];
  for (const [k, v] of Object.entries(fields)) {
    const kb = Buffer.from(k);
    const vb = Buffer.from(v);
    parts.push(u32(kb.length), kb, u32(vb.length), vb);
  }
  return Buffer.concat(parts);
}

/** A whole batch as Beats send it: window + JSON frames numbered 1..N, compressed into one frame unless level is 0. */
export function batchBytes(events: readonly unknown[], compressionLevel = 3): Buffer {
  const frames = Buffer.concat(events.map((e, i) => jsonFrame(i + 1, e)));
  return Buffer.concat([windowFrame(events.length), compressionLevel > 0 ? compressedFrame(frames, compressionLevel) : frames]);
}

export interface Ack {
  readonly version: number;
  readonly seq: number;
}

/** A connected test sender. */
export class LumberjackTestClient {
  readonly socket: Socket;
  /** Every ACK read, in order. */
  readonly acks: Ack[] = [];
  /** Resolves when the server closed the connection (or it failed). */
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  #isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      while (this.#buf.length >= 6) {
        this.acks.push({ version: (this.#buf[0] as number) - 0x30, seq: this.#buf.readUInt32BE(2) });
        if (this.#buf[1] !== 0x41) this.acks.push({ version: -1, seq: -1 });
        this.#buf = this.#buf.subarray(6);
      }
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.#isClosed = true;
        this.#wake();
        resolve();
      });
      socket.on("error", () => {});
    });
  }

  static connect(port: number, tls?: ConnectionOptions): Promise<LumberjackTestClient> {
    return new Promise((resolve, reject) => {
      const socket = tls === undefined ? tcpConnect(port, "127.0.0.1") : tlsConnect({ host: "127.0.0.1", port, ...tls });
      socket.once(tls === undefined ? "connect" : "secureConnect", () => {
        socket.off("error", reject);
        resolve(new LumberjackTestClient(socket));
      });
      socket.once("error", reject);
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends one batch (window numbered 1..N) and waits until an ACK of N arrives (AwaitACK). Rejects after timeoutMs. */
  async sendBatch(events: readonly unknown[], compressionLevel = 3, timeoutMs = 10_000): Promise<Ack[]> {
    const from = this.acks.length;
    this.write(batchBytes(events, compressionLevel));
    await this.waitFor(() => this.acks.slice(from).some((a) => a.seq >= events.length), timeoutMs);
    return this.acks.slice(from);
  }

  /** Waits (bounded) until cond() holds; rejects on timeout or when the connection closed first. */
  async waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (this.#isClosed) throw new Error(`connection closed; ACKs so far: ${JSON.stringify(this.acks)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; ACKs so far: ${JSON.stringify(this.acks)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  end(): Promise<void> {
    this.socket.end();
    return this.closed;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
