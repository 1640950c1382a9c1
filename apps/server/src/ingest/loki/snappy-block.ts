// Snappy block-format decoder for Loki push bodies: bounded in time (every step consumes input) and in memory
// (the declared length is checked against a limit before allocating; copies are checked against what exists).

/** Why a snappy block was refused; `tooLarge` carries the declared uncompressed length. */
export class SnappyBlockError extends Error {
  constructor(
    message: string,
    readonly tooLarge?: number,
  ) {
    super(message);
    this.name = "SnappyBlockError";
  }
}

/** Reads the uncompressed length from a snappy block preamble (a varint of at most 32 bits), or -1 when malformed. */
export function snappyUncompressedLength(buf: Uint8Array): number {
  let result = 0;
  for (let i = 0, shift = 0; i < 5 && i < buf.length; i++, shift += 7) {
    const b = buf[i] as number;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result <= 0xffffffff ? result : -1;
  }
  return -1;
}

/**
 * Decompresses one snappy block (github.com/google/snappy format_description.txt): a varint length, then
 * literals and back-references with 1-, 2- or 4-byte offsets. Throws SnappyBlockError when the declared length
 * exceeds `maxBytes`, when an element runs past the input, points before the start of the output or past its
 * declared end, or when the output does not end exactly at the declared length.
 */
export function decodeSnappyBlock(src: Uint8Array, maxBytes: number): Uint8Array {
  const total = snappyUncompressedLength(src);
  if (total < 0) throw new SnappyBlockError("bad length preamble");
  if (total > maxBytes) throw new SnappyBlockError(`declared length ${total} exceeds ${maxBytes}`, total);
  let i = 0;
  while ((src[i] as number) & 0x80) i++;
  i++;
  const out = new Uint8Array(total);
  let o = 0;
  const need = (n: number, what: string): void => {
    if (i + n > src.length) throw new SnappyBlockError(`truncated ${what} at byte ${i}`);
  };
  while (i < src.length) {
    const tag = src[i++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        need(extra, "literal length");
        len = 0;
        for (let k = 0; k < extra; k++) len += (src[i + k] as number) * 2 ** (8 * k);
        i += extra;
      }
      len += 1;
      need(len, "literal");
      if (o + len > total) throw new SnappyBlockError(`literal at byte ${i} runs past the declared length ${total}`);
      out.set(src.subarray(i, i + len), o);
      i += len;
      o += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      need(1, "copy offset");
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | (src[i] as number);
      i += 1;
    } else if (kind === 2) {
      need(2, "copy offset");
      len = (tag >>> 2) + 1;
      offset = (src[i] as number) | ((src[i + 1] as number) << 8);
      i += 2;
    } else {
      need(4, "copy offset");
      len = (tag >>> 2) + 1;
      offset = ((src[i] as number) | ((src[i + 1] as number) << 8) | ((src[i + 2] as number) << 16)) + (src[i + 3] as number) * 2 ** 24;
      i += 4;
    }
    if (offset === 0 || offset > o) throw new SnappyBlockError(`copy at byte ${i} refers to offset ${offset} before the start of the output`);
    if (o + len > total) throw new SnappyBlockError(`copy at byte ${i} runs past the declared length ${total}`);
    // Overlapping copies (offset < len) repeat the last `offset` bytes, so copy byte by byte there.
    if (offset >= len) out.copyWithin(o, o - offset, o - offset + len);
    else for (let k = 0; k < len; k++) out[o + k] = out[o + k - offset] as number;
    o += len;
  }
  if (o !== total) throw new SnappyBlockError(`output is ${o} bytes, the preamble declared ${total}`);
  return out;
}
