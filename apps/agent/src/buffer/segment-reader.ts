// Reads and decodes frames of disk-buffer segments, keeping one descriptor per segment and the last frame.

import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { MeshlogError } from "@meshlog/core";
import { AgentErrors } from "../errors.js";
import type { StoredRecord } from "./record-codec.js";
import { FRAME_HEADER_BYTES, checkFrame, segmentFileName } from "./segment-file.js";

/** A decoded frame: its records and the offset of the next frame. */
export interface DecodedFrame {
  readonly records: StoredRecord[];
  readonly next: number;
}

export class SegmentReader {
  readonly #dir: string;
  readonly #fds = new Map<number, FileHandle>();
  #cache: { seg: number; off: number; frame: DecodedFrame } | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Reads the frame at `off` of segment `seg`; a bad frame is AGENT_BUFFER_CORRUPT naming file and offset. */
  async frame(seg: number, off: number): Promise<DecodedFrame> {
    const c = this.#cache;
    if (c !== undefined && c.seg === seg && c.off === off) return c.frame;
    let fh = this.#fds.get(seg);
    if (fh === undefined) {
      fh = await open(join(this.#dir, segmentFileName(seg)), "r");
      this.#fds.set(seg, fh);
    }
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    await fh.read(head, 0, FRAME_HEADER_BYTES, off);
    const whole = Buffer.alloc(FRAME_HEADER_BYTES + head.readUInt32BE(0));
    const { bytesRead } = await fh.read(whole, 0, whole.length, off);
    const f = checkFrame(whole.subarray(0, bytesRead), 0);
    if (!f.ok) throw new MeshlogError(AgentErrors.AGENT_BUFFER_CORRUPT, `Cannot read buffer segment "${segmentFileName(seg)}": ${f.reason} at offset ${off}`);
    const records = JSON.parse(f.payload.subarray(f.payload.indexOf(10) + 1).toString("utf8")) as StoredRecord[];
    const frame = { records, next: off + whole.length };
    this.#cache = { seg, off, frame };
    return frame;
  }

  /** Closes the descriptor of a segment about to be deleted. */
  async forget(seg: number): Promise<void> {
    await this.#fds.get(seg)?.close();
    this.#fds.delete(seg);
  }

  async close(): Promise<void> {
    for (const fh of this.#fds.values()) await fh.close();
    this.#fds.clear();
  }
}
