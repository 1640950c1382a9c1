// Startup scan of disk-buffer segments: validates frames, truncates torn tails, replays checkpoint updates.

import { readdir, readFile, rename, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@meshlog/core";
import type { CheckpointStore } from "../checkpoints/checkpoint-store.js";
import { AgentErrors } from "../errors.js";
import { M, type Metrics } from "../runtime/metrics.js";
import { SEGMENT_HEADER_BYTES, checkFrame, isSegmentHeader, segmentFileName, segmentNumberOf } from "./segment-file.js";

/**
 * Returns the valid size of every readable segment and the highest entry sequence seen. A segment without
 * a valid header is renamed to `*.corrupt`; bytes after the first bad frame are saved to
 * `*.tail-<offset>.corrupt` and cut off, and both are logged and counted — never silently dropped.
 */
export async function recoverSegments(
  dir: string,
  checkpoints: CheckpointStore,
  logger: Logger,
  metrics: Metrics,
): Promise<{ sizes: Map<number, number>; maxSeq: number }> {
  const segs = (await readdir(dir))
    .map((n) => segmentNumberOf(n))
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  const sizes = new Map<number, number>();
  let maxSeq = checkpoints.seq;
  for (const seg of segs) {
    const path = join(dir, segmentFileName(seg));
    const data = await readFile(path);
    if (!isSegmentHeader(data)) {
      logger.warn("buffer segment has no valid header; quarantined", { file: path, code: AgentErrors.AGENT_BUFFER_CORRUPT });
      metrics.inc(...M.bufferCorrupt);
      await rename(path, `${path}.corrupt`);
      continue;
    }
    let off = SEGMENT_HEADER_BYTES;
    while (off < data.length) {
      const f = checkFrame(data, off);
      let meta: { s: number; c?: Record<string, unknown> } | undefined;
      if (f.ok) {
        try {
          meta = JSON.parse(f.payload.subarray(0, f.payload.indexOf(10)).toString("utf8")) as typeof meta;
        } catch {
          meta = undefined;
        }
      }
      if (!f.ok || meta === undefined || typeof meta.s !== "number") {
        const reason = f.ok ? "frame metadata is not JSON" : f.reason;
        logger.warn("torn or corrupt buffer frame; truncating the segment there", {
          file: path,
          offset: off,
          reason,
          lostBytes: data.length - off,
          code: AgentErrors.AGENT_BUFFER_CORRUPT,
        });
        metrics.inc(...M.bufferCorrupt);
        await writeFile(`${path}.tail-${off}.corrupt`, data.subarray(off));
        await truncate(path, off);
        break;
      }
      checkpoints.apply(meta.s, meta.c);
      if (meta.s > maxSeq) maxSeq = meta.s;
      off = f.next;
    }
    sizes.set(seg, off);
  }
  return { sizes, maxSeq };
}
