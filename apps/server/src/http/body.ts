// Request body helpers: Content-Encoding decoding with a size bound (no zip bombs) and JSON parsing with clear errors.

import { gunzipSync, inflateSync, brotliDecompressSync, constants } from "node:zlib";
import type { FastifyRequest } from "fastify";
import { MeshlogError } from "@meshlog/core";
import { ServerErrors } from "../errors.js";
import { decodeZstdBounded } from "./bounded-zstd.js";

/** Decodes the body per Content-Encoding (gzip, deflate, br, zstd, identity), refusing output over maxBytes. */
export function decodeBody(request: FastifyRequest, maxBytes: number): Buffer {
  const body = request.body;
  const raw = Buffer.isBuffer(body) ? body : typeof body === "string" ? Buffer.from(body) : Buffer.alloc(0);
  const enc = String(request.headers["content-encoding"] ?? "identity")
    .toLowerCase()
    .trim();
  return decodeBytes(raw, enc, maxBytes);
}

export function decodeBytes(raw: Buffer, encoding: string, maxBytes: number): Buffer {
  let out: Buffer;
  try {
    switch (encoding) {
      case "":
      case "identity":
        out = raw;
        break;
      case "gzip":
      case "x-gzip":
        out = gunzipSync(raw, { maxOutputLength: maxBytes + 1 });
        break;
      case "deflate":
        out = inflateSync(raw, { maxOutputLength: maxBytes + 1 });
        break;
      case "br":
        out = brotliDecompressSync(raw, { maxOutputLength: maxBytes + 1, params: { [constants.BROTLI_PARAM_SIZE_HINT]: 0 } });
        break;
      case "zstd":
        out = decodeZstdBounded(raw, maxBytes);
        break;
      default:
        throw new MeshlogError(ServerErrors.INGEST_BAD_ENCODING, `Content-Encoding "${encoding}" is not supported (use gzip, deflate, br, zstd or none)`);
    }
  } catch (err) {
    if (err instanceof MeshlogError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ERR_BUFFER_TOO_LARGE" || /Cannot create a Buffer larger|maxOutputLength/i.test(e.message)) {
      throw new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, `request body decompresses to more than ${maxBytes} bytes`);
    }
    throw new MeshlogError(ServerErrors.INGEST_BAD_ENCODING, `request body is not valid ${encoding}: ${e.message}`);
  }
  if (out.length > maxBytes) throw new MeshlogError(ServerErrors.INGEST_PAYLOAD_TOO_LARGE, `request body is ${out.length} bytes, the limit is ${maxBytes}`);
  return out;
}

/** Parses JSON, turning syntax errors into INGEST_BAD_REQUEST naming the position. */
export function parseJsonBody(buf: Buffer, what = "request body"): unknown {
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch (err) {
    throw new MeshlogError(ServerErrors.INGEST_BAD_REQUEST, `${what} is not valid JSON: ${(err as Error).message}`);
  }
}
