// Decodes one complete forward-protocol msgpack object into a frame: heartbeat, PING, or events in any of the
// four modes (Message, Forward, PackedForward, CompressedPackedForward with gzip or zstd).

import { gunzipSync } from "node:zlib";
import { Decoder } from "@msgpack/msgpack";
import { Decompress } from "fzstd";
import { MeshlogError } from "@meshlog/core";
import { ForwardErrors } from "./errors.js";
import { forwardExtensionCodec, forwardTimeToNs } from "./event-time.js";
import { arrayElements, msgpackObjectEnd, rawBytesAt } from "./msgpack-scan.js";

/** One event: its time (ns), optional Fluent Bit v2 metadata, and the record map. */
export interface ForwardEntry {
  readonly time: bigint;
  readonly record: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
}

/** The options map of an event message (only the keys meshlog reads). */
export interface ForwardOptions {
  readonly chunk?: string;
  readonly size?: number;
  readonly compressed?: string;
  /** Fluent Bit: 0 logs, 1 metrics, 2 traces. */
  readonly fluentSignal?: number;
}

export type ForwardMode = "message" | "forward" | "packed" | "compressed";

export type ForwardFrame =
  | { readonly kind: "heartbeat" }
  | {
      readonly kind: "ping";
      readonly hostname: string;
      readonly salt: Uint8Array;
      readonly digest: string;
      readonly username: string;
      readonly passwordDigest: string;
    }
  | {
      readonly kind: "events";
      readonly tag: string;
      readonly mode: ForwardMode;
      readonly entries: ForwardEntry[];
      /** Entries skipped because their time or record was malformed. */
      readonly invalidEntries: { readonly index: number; readonly error: string }[];
      readonly options: ForwardOptions;
    };

const invalid = (msg: string): MeshlogError => new MeshlogError(ForwardErrors.FORWARD_FRAME_INVALID, msg);

const isPlainMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Decodes frames; `maxBytes` bounds decompressed payloads (ingest.maxBodyBytes). Not re-entrant. */
export class ForwardDecoder {
  readonly #maxBytes: number;
  readonly #decoder: Decoder;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
    this.#decoder = new Decoder({
      extensionCodec: forwardExtensionCodec,
      maxStrLength: maxBytes,
      maxBinLength: maxBytes,
      maxArrayLength: maxBytes,
      maxMapLength: maxBytes,
      maxExtLength: 64,
    });
  }

  /** Decodes one complete top-level object (as cut by MsgpackSplitter). Throws MeshlogError on malformed input. */
  decode(obj: Uint8Array): ForwardFrame {
    if (obj.length === 1 && obj[0] === 0xc0) return { kind: "heartbeat" };
    const b0 = obj[0] ?? 0;
    const isArray = (b: number): boolean => (b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd;
    if (!isArray(b0)) throw invalid(`expected a msgpack array (event or PING), got type byte 0x${b0.toString(16)}`);
    // Peek at the second element's type: str/bin means (Compressed)PackedForward, whose payload is taken raw.
    const headLen = b0 === 0xdc ? 3 : b0 === 0xdd ? 5 : 1;
    const tagEnd = obj.length > headLen ? msgpackObjectEnd(obj, headLen, obj.length, obj.length) : -1;
    const second = tagEnd > 0 && tagEnd < obj.length ? (obj[tagEnd] as number) : -1;
    const isRaw = second >= 0 && ((second >= 0xa0 && second <= 0xbf) || (second >= 0xc4 && second <= 0xc6) || (second >= 0xd9 && second <= 0xdb));
    if (isRaw) return this.#packed(obj);
    let value: unknown;
    try {
      value = this.#decoder.decode(obj);
    } catch (err) {
      if (err instanceof MeshlogError) throw err;
      throw invalid(`msgpack object does not decode: ${(err as Error).message}`);
    }
    const arr = value as unknown[];
    const head = arr[0];
    if (head === "PING") return this.#ping(arr);
    if (arr.length < 2) throw invalid(`an event message needs at least 2 elements, got ${arr.length}`);
    if (typeof head !== "string") throw invalid(`the first element must be the tag string, got ${describe(head)}`);
    if (head === "HELO" || head === "PONG") throw invalid(`a client must not send ${head}`);
    if (Array.isArray(arr[1])) {
      if (arr.length > 3) throw invalid(`Forward messages have 2 or 3 elements, got ${arr.length}`);
      const options = this.#options(arr[2]);
      const { entries, invalidEntries } = this.#entries(arr[1] as unknown[]);
      this.#checkSize(options, entries.length + invalidEntries.length, []);
      return { kind: "events", tag: head, mode: "forward", entries, invalidEntries, options };
    }
    // Message mode: [tag, time, record, option?]
    if (arr.length < 3 || arr.length > 4) throw invalid(`a Message-mode event has 3 or 4 elements, got ${arr.length}`);
    const options = this.#options(arr[3]);
    const { entries, invalidEntries } = this.#entries([[arr[1], arr[2]]]);
    return { kind: "events", tag: head, mode: "message", entries, invalidEntries, options };
  }

  #packed(obj: Uint8Array): ForwardFrame {
    const els = arrayElements(obj, 0, obj.length);
    const [e0, e1, e2] = els ?? [];
    if (els === undefined || e0 === undefined || e1 === undefined) throw invalid("malformed PackedForward message");
    const head = this.#decodeAt(obj, e0);
    if (head === "PING") return this.#ping(els.map((e) => this.#decodeAt(obj, e)));
    if (typeof head !== "string") throw invalid(`the first element must be the tag string, got ${describe(head)}`);
    if (head === "HELO" || head === "PONG") throw invalid(`a client must not send ${head}`);
    if (els.length > 3) throw invalid(`PackedForward messages have 2 or 3 elements, got ${els.length}`);
    const options = e2 === undefined ? {} : this.#options(this.#decodeAt(obj, e2));
    if (options.fluentSignal !== undefined && options.fluentSignal !== 0) {
      // Fluent Bit metrics/traces (cmetrics/ctraces msgpack, not [time, record] entries): not decoded.
      return { kind: "events", tag: head, mode: "packed", entries: [], invalidEntries: [], options };
    }
    const packed = rawBytesAt(obj, e1.start, e1.end) as Uint8Array;
    const compressed = options.compressed;
    if (compressed !== undefined && compressed !== "gzip" && compressed !== "zstd" && compressed !== "text") {
      throw new MeshlogError(ForwardErrors.FORWARD_DECOMPRESS_FAILED, `unsupported compressed option ${JSON.stringify(compressed)} (gzip, zstd or text)`);
    }
    const data = compressed === "gzip" ? this.#gunzip(packed) : compressed === "zstd" ? this.#unzstd(packed) : packed;
    const list: unknown[] = [];
    try {
      for (const v of this.#decoder.decodeMulti(data)) list.push(v);
    } catch (err) {
      throw invalid(`packed entries of tag ${JSON.stringify(head)} are not valid msgpack: ${(err as Error).message}`);
    }
    const { entries, invalidEntries } = this.#entries(list);
    this.#checkSize(options, entries.length + invalidEntries.length, [packed.length, data.length]);
    return { kind: "events", tag: head, mode: data === packed ? "packed" : "compressed", entries, invalidEntries, options };
  }

  #decodeAt(obj: Uint8Array, el: { start: number; end: number }): unknown {
    try {
      return this.#decoder.decode(obj.subarray(el.start, el.end));
    } catch (err) {
      if (err instanceof MeshlogError) throw err;
      throw invalid(`msgpack value at offset ${el.start} does not decode: ${(err as Error).message}`);
    }
  }

  #ping(v: unknown[]): ForwardFrame {
    if (v.length !== 6) throw invalid(`PING has 6 elements, got ${v.length}`);
    const text = (i: number, name: string): string => {
      const x = v[i];
      if (typeof x === "string") return x;
      if (x instanceof Uint8Array) return Buffer.from(x).toString("utf8");
      if (x === null && i >= 4) return ""; // fluent-logger sends nil for an unset username
      throw invalid(`PING ${name} must be a string`);
    };
    const saltValue = v[2];
    const salt = typeof saltValue === "string" ? Buffer.from(saltValue, "utf8") : saltValue instanceof Uint8Array ? saltValue : undefined;
    if (salt === undefined) throw invalid("PING shared_key_salt must be a string or bin");
    return {
      kind: "ping",
      hostname: text(1, "hostname"),
      salt,
      digest: text(3, "shared key digest"),
      username: text(4, "username"),
      passwordDigest: text(5, "password digest"),
    };
  }

  #options(v: unknown): ForwardOptions {
    if (v === null || v === undefined) return {};
    if (!isPlainMap(v)) throw invalid(`the options element must be a map, got ${describe(v)}`);
    const out: { chunk?: string; size?: number; compressed?: string; fluentSignal?: number } = {};
    if (v.chunk !== undefined && v.chunk !== null) {
      if (typeof v.chunk !== "string" || v.chunk.length === 0 || v.chunk.length > 256)
        throw invalid("option chunk must be a non-empty string of at most 256 characters");
      out.chunk = v.chunk;
    }
    if (v.size !== undefined && v.size !== null) {
      if (typeof v.size !== "number" || !Number.isInteger(v.size) || v.size < 0) throw invalid("option size must be a non-negative integer");
      out.size = v.size;
    }
    if (v.compressed !== undefined && v.compressed !== null) {
      if (typeof v.compressed !== "string") throw invalid("option compressed must be a string");
      out.compressed = v.compressed;
    }
    if (typeof v.fluent_signal === "number") out.fluentSignal = v.fluent_signal;
    return out;
  }

  #entries(list: unknown[]): { entries: ForwardEntry[]; invalidEntries: { index: number; error: string }[] } {
    const entries: ForwardEntry[] = [];
    const invalidEntries: { index: number; error: string }[] = [];
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      try {
        if (!Array.isArray(e) || e.length !== 2) throw new MeshlogError(ForwardErrors.FORWARD_ENTRY_INVALID, "an entry must be [time, record]");
        const [t, record] = e as [unknown, unknown];
        if (!isPlainMap(record)) throw new MeshlogError(ForwardErrors.FORWARD_ENTRY_INVALID, `the record must be a map, got ${describe(record)}`);
        if (Array.isArray(t)) {
          // Fluent Bit v2: [[time, metadata], record]
          const [time, metadata] = t as [unknown, unknown];
          if (t.length !== 2 || !(isPlainMap(metadata) || metadata === null))
            throw new MeshlogError(ForwardErrors.FORWARD_ENTRY_INVALID, "a v2 entry header must be [time, metadata map]");
          entries.push(metadata === null ? { time: forwardTimeToNs(time), record } : { time: forwardTimeToNs(time), record, metadata });
        } else entries.push({ time: forwardTimeToNs(t), record });
      } catch (err) {
        invalidEntries.push({ index: i, error: (err as Error).message });
      }
    }
    return { entries, invalidEntries };
  }

  /** `size` is the event count per spec; fluent-logger sends the (compressed) byte length instead: accept both. */
  #checkSize(options: ForwardOptions, count: number, byteLengths: number[]): void {
    if (options.size === undefined) return;
    if (options.size === count || byteLengths.includes(options.size)) return;
    throw new MeshlogError(
      ForwardErrors.FORWARD_SIZE_MISMATCH,
      `option size ${options.size} matches neither the ${count} entries nor the payload length (${byteLengths.join(", ") || "n/a"})`,
    );
  }

  #gunzip(data: Uint8Array): Buffer {
    try {
      return gunzipSync(data, { maxOutputLength: this.#maxBytes });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE")
        throw new MeshlogError(ForwardErrors.FORWARD_FRAME_TOO_LARGE, `gzip payload decompresses to more than ${this.#maxBytes} bytes`);
      throw new MeshlogError(ForwardErrors.FORWARD_DECOMPRESS_FAILED, `gzip payload does not decompress: ${(err as Error).message}`);
    }
  }

  #unzstd(data: Uint8Array): Buffer {
    const parts: Uint8Array[] = [];
    let total = 0;
    const tooLarge = new MeshlogError(ForwardErrors.FORWARD_FRAME_TOO_LARGE, `zstd payload decompresses to more than ${this.#maxBytes} bytes`);
    try {
      const d = new Decompress((chunk) => {
        total += chunk.length;
        if (total > this.#maxBytes) throw tooLarge;
        parts.push(chunk);
      });
      d.push(data, true);
    } catch (err) {
      if (err === tooLarge) throw err;
      throw new MeshlogError(ForwardErrors.FORWARD_DECOMPRESS_FAILED, `zstd payload does not decompress: ${(err as Error).message}`);
    }
    return Buffer.concat(parts, total);
  }
}

function describe(v: unknown): string {
  if (v === null) return "nil";
  if (Array.isArray(v)) return "array";
  if (v instanceof Uint8Array) return "bin";
  return typeof v;
}
