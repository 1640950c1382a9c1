// Per-tenant catalog: streams (labels -> id) and their sealed blocks with time ranges; binary file codec.

import { crc32 } from "node:zlib";
import type { Labels } from "@meshlog/core";
import { CATALOG_FORMAT_VERSION, CATALOG_MAGIC } from "../file-names.js";
import type { BlockHeader } from "../block/block-format.js";

/** What the catalog knows about one sealed block (everything but the bloom bits, loaded lazily). */
export interface BlockRef {
  readonly blockId: string;
  readonly streamId: string;
  readonly minTime: bigint;
  readonly maxTime: bigint;
  readonly rows: number;
  /** Size of the block file. */
  readonly bytes: number;
  readonly headerHash: string;
  readonly prevBlockHash: string;
  readonly walSeqMax: number;
  readonly keyId: string;
  readonly retentionClass: string;
  readonly legalHold: boolean;
  readonly createdAt: bigint;
}

export interface CatalogStream {
  readonly id: string;
  readonly labels: Labels;
  /** Blocks in sealing order (the per-stream hash chain order). */
  readonly blocks: BlockRef[];
  minTime: bigint;
  maxTime: bigint;
  /** Highest WAL sequence of this stream's deleted blocks: WAL replay must not resurrect their records. */
  sealedFloor?: number;
  /** Header hash of the newest block ever sealed in the stream (kept when it is deleted: the chain goes on from it). */
  tailHash?: string;
}

export function blockRefOf(h: BlockHeader, fileBytes: number): BlockRef {
  const m = h.meta;
  return {
    blockId: m.blockId,
    streamId: m.streamId,
    minTime: m.minTime,
    maxTime: m.maxTime,
    rows: m.rows,
    bytes: fileBytes,
    headerHash: h.headerHash,
    prevBlockHash: m.prevBlockHash,
    walSeqMax: m.walSeqMax,
    keyId: m.keyId,
    retentionClass: m.retentionClass,
    legalHold: m.legalHold,
    createdAt: m.createdAt,
  };
}

/** The catalog of one tenant. Blocks of a stream are kept in chain order (prevBlockHash links). */
export class TenantCatalog {
  readonly tenant: string;
  readonly #streams = new Map<string, CatalogStream>();
  readonly #blocks = new Map<string, BlockRef>();

  constructor(tenant: string) {
    this.tenant = tenant;
  }

  streams(): IterableIterator<CatalogStream> {
    return this.#streams.values();
  }

  stream(id: string): CatalogStream | undefined {
    return this.#streams.get(id);
  }

  block(blockId: string): BlockRef | undefined {
    return this.#blocks.get(blockId);
  }

  blocks(): IterableIterator<BlockRef> {
    return this.#blocks.values();
  }

  get blockCount(): number {
    return this.#blocks.size;
  }

  /** Registers a block (appended at the end of its stream's chain). */
  add(ref: BlockRef, labels: Labels): void {
    let s = this.#streams.get(ref.streamId);
    if (s === undefined) {
      s = { id: ref.streamId, labels, blocks: [], minTime: ref.minTime, maxTime: ref.maxTime };
      this.#streams.set(ref.streamId, s);
    }
    if (s.blocks.length === 0) {
      s.minTime = ref.minTime;
      s.maxTime = ref.maxTime;
    }
    s.blocks.push(ref);
    s.tailHash = ref.headerHash;
    if (ref.minTime < s.minTime) s.minTime = ref.minTime;
    if (ref.maxTime > s.maxTime) s.maxTime = ref.maxTime;
    this.#blocks.set(ref.blockId, ref);
  }

  /** Ensures the stream exists (for streams that only have head data). */
  ensureStream(id: string, labels: Labels): void {
    if (!this.#streams.has(id)) this.#streams.set(id, { id, labels, blocks: [], minTime: 0n, maxTime: 0n });
  }

  /**
   * Unregisters a block. By default the stream's sealed floor rises to the block's WAL sequence, so a deleted
   * block's records never come back from the WAL; `keepFloor` is for blocks that never became durable (an
   * orphan of an interrupted seal), whose records the WAL must still replay.
   */
  remove(blockId: string, opts: { keepFloor?: boolean } = {}): BlockRef | undefined {
    const ref = this.#blocks.get(blockId);
    if (ref === undefined) return undefined;
    this.#blocks.delete(blockId);
    const s = this.#streams.get(ref.streamId);
    if (s !== undefined) {
      if (opts.keepFloor !== true) s.sealedFloor = Math.max(s.sealedFloor ?? 0, ref.walSeqMax);
      const i = s.blocks.findIndex((b) => b.blockId === blockId);
      if (i >= 0) s.blocks.splice(i, 1);
      s.minTime = s.blocks.reduce((m, b) => (b.minTime < m ? b.minTime : m), s.blocks[0]?.minTime ?? 0n);
      s.maxTime = s.blocks.reduce((m, b) => (b.maxTime > m ? b.maxTime : m), s.blocks[0]?.maxTime ?? 0n);
    }
    return ref;
  }

  /** Sets the hash the stream's next block chains to (restoring a deleted tail). */
  setTailHash(streamId: string, hash: string): void {
    const s = this.#streams.get(streamId);
    if (s !== undefined) s.tailHash = hash;
  }

  /** Raises a stream's sealed floor (WAL records at or below it are never replayed into the head). */
  raiseSealedFloor(streamId: string, seq: number): void {
    const s = this.#streams.get(streamId);
    if (s !== undefined && seq > (s.sealedFloor ?? 0)) s.sealedFloor = seq;
  }

  /** Header hash of the last block of a stream ("" when none): the next block's prevBlockHash. */
  lastHeaderHash(streamId: string): string {
    const s = this.#streams.get(streamId);
    const b = s?.blocks;
    return s?.tailHash ?? (b === undefined || b.length === 0 ? "" : (b[b.length - 1] as BlockRef).headerHash);
  }

  /** Highest WAL sequence sealed for a stream (0 when none). */
  sealedSeq(streamId: string): number {
    let m = this.#streams.get(streamId)?.sealedFloor ?? 0;
    for (const b of this.#streams.get(streamId)?.blocks ?? []) if (b.walSeqMax > m) m = b.walSeqMax;
    return m;
  }

  /** Highest WAL sequence sealed in any stream. */
  maxSealedSeq(): number {
    let m = 0;
    for (const s of this.#streams.values()) if ((s.sealedFloor ?? 0) > m) m = s.sealedFloor ?? 0;
    for (const b of this.#blocks.values()) if (b.walSeqMax > m) m = b.walSeqMax;
    return m;
  }

  /** Serialises: magic, u16 version, u16 flags, u32 body length, u32 CRC32(body), body (JSON). */
  encode(): Buffer {
    const streams = [...this.#streams.values()].map((s) => ({
      id: s.id,
      labels: s.labels,
      ...(s.sealedFloor === undefined || s.sealedFloor === 0 ? {} : { sealedFloor: s.sealedFloor }),
      ...(s.tailHash === undefined ? {} : { tailHash: s.tailHash }),
      blocks: s.blocks.map((b) => ({ ...b, minTime: b.minTime.toString(), maxTime: b.maxTime.toString(), createdAt: b.createdAt.toString() })),
    }));
    const body = Buffer.from(JSON.stringify({ tenant: this.tenant, streams }), "utf8");
    const head = Buffer.alloc(20);
    CATALOG_MAGIC.copy(head, 0);
    head.writeUInt16LE(CATALOG_FORMAT_VERSION, 8);
    head.writeUInt32LE(body.length, 12);
    head.writeUInt32LE(crc32(body), 16);
    return Buffer.concat([head, body]);
  }

  /** Parses a catalog file; throws an Error naming the problem and offset when it is not valid. */
  static decode(buf: Buffer, tenant: string): TenantCatalog {
    if (buf.length < 20 || !buf.subarray(0, 8).equals(CATALOG_MAGIC)) throw new Error("bad magic at offset 0");
    const v = buf.readUInt16LE(8);
    if (v !== CATALOG_FORMAT_VERSION) throw new Error(`unsupported catalog version ${v} at offset 8`);
    const len = buf.readUInt32LE(12);
    if (buf.length !== 20 + len) throw new Error(`catalog body is ${buf.length - 20} bytes, header says ${len}`);
    const body = buf.subarray(20);
    if (crc32(body) !== buf.readUInt32LE(16)) throw new Error("catalog checksum mismatch at offset 16");
    const o = JSON.parse(body.toString("utf8")) as {
      tenant: string;
      streams: {
        id: string;
        labels: Labels;
        sealedFloor?: number;
        tailHash?: string;
        blocks: (Omit<BlockRef, "minTime" | "maxTime" | "createdAt"> & { minTime: string; maxTime: string; createdAt: string })[];
      }[];
    };
    if (o.tenant !== tenant) throw new Error(`catalog belongs to tenant ${JSON.stringify(o.tenant)}, not ${JSON.stringify(tenant)}`);
    const c = new TenantCatalog(tenant);
    for (const s of o.streams) {
      c.ensureStream(s.id, s.labels);
      if (typeof s.sealedFloor === "number") c.raiseSealedFloor(s.id, s.sealedFloor);
      for (const b of s.blocks) c.add({ ...b, minTime: BigInt(b.minTime), maxTime: BigInt(b.maxTime), createdAt: BigInt(b.createdAt) }, s.labels);
      if (typeof s.tailHash === "string") c.setTailHash(s.id, s.tailHash);
    }
    return c;
  }
}
