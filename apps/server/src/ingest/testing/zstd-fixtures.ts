// Hand-built zstd frames for tests (Node 20 has no zstd encoder): raw-block frames and declared-size bombs.

/** A zstd frame of raw blocks (no compression), optionally declaring a content size. */
export function zstdRawFrame(data: Buffer, declaredSize?: bigint): Buffer {
  const header = declaredSize === undefined ? Buffer.from([0x00, 0x48]) /* window 1 MiB, no FCS */ : Buffer.concat([Buffer.from([0xe0]), u64(declaredSize)]);
  const blocks: Buffer[] = [];
  for (let off = 0; off === 0 || off < data.length; off += 100_000) {
    const part = data.subarray(off, off + 100_000);
    const last = off + 100_000 >= data.length ? 1 : 0;
    const h = (part.length << 3) | last;
    blocks.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), part);
  }
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), header, ...blocks]);
}

function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

/** A frame declaring `declared` bytes and producing them with 128 KiB RLE blocks (4 bytes each): a bomb. */
export function zstdBomb(declared: bigint, blocks: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xe0]), u64(declared)];
  for (let i = 0; i < blocks; i++) {
    const h = (131072 << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x41]));
  }
  return Buffer.concat(parts);
}
