// Test support for the OTLP/gRPC receiver: the receiver on a harness, a raw grpc-js client, request builders and a
// decoder of the google.rpc.Status trailer. Used only by *.test.ts files.

import assert from "node:assert/strict";
import { Client, credentials, Metadata, type ChannelCredentials, type ServiceError } from "@grpc/grpc-js";
import type { Stoppable } from "../../modules.js";
import { otlpRoutes } from "../otlp/otlp-routes.js";
import { ProtoReader, ProtoWriter } from "../otlp/proto-wire.js";
import { startReceiverHarness, TOKENS, type ReceiverHarness } from "../testing/receiver-harness.js";
import { otlpGrpcModule } from "./index.js";

export const MAX_MESSAGE_BYTES = 64 * 1024;

export interface Started {
  readonly h: ReceiverHarness;
  readonly grpc: Stoppable;
  readonly address: string;
}

export async function startGrpc(config: Record<string, unknown> = {}): Promise<Started> {
  const h = await startReceiverHarness([otlpRoutes], { otlpGrpc: { listen: "127.0.0.1:0", maxMessageBytes: MAX_MESSAGE_BYTES }, ...config });
  let grpc: Stoppable;
  try {
    grpc = await otlpGrpcModule.start(h.ctx);
  } catch (err) {
    await h.close();
    throw err;
  }
  const address = h.ctx.services.get("otlp-grpc.address");
  assert.equal(typeof address, "string");
  return { h, grpc, address: address as string };
}

export const meta = (entries: Record<string, string>): Metadata => {
  const m = new Metadata();
  for (const [k, v] of Object.entries(entries)) m.set(k, v);
  return m;
};

/** One unary call with a raw grpc-js client (Buffer in, Buffer out). */
export function rawCall(
  address: string,
  path: string,
  body: Buffer,
  md: Record<string, string>,
  opts: { gzip?: boolean; creds?: ChannelCredentials } = {},
): Promise<{ err: ServiceError | null; res: Buffer | undefined }> {
  const client = new Client(address, opts.creds ?? credentials.createInsecure(), opts.gzip === true ? { "grpc.default_compression_algorithm": 2 } : {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      meta(md),
      { deadline: Date.now() + 10_000 },
      (err, res) => {
        client.close();
        resolve({ err, res });
      },
    );
  });
}

/** An ExportLogsServiceRequest with one resource (service.name) and the given log bodies. */
export function logsRequest(service: string, bodies: string[], extra: (w: ProtoWriter, i: number) => void = () => {}): Buffer {
  const kv = (k: string, v: string) => new ProtoWriter().stringField(1, k).bytesField(2, new ProtoWriter().stringField(1, v).finish()).finish();
  const scope = new ProtoWriter().bytesField(1, new ProtoWriter().stringField(1, "raw-lib").finish());
  bodies.forEach((b, i) => {
    const rec = new ProtoWriter().varintField(2, 9).bytesField(5, new ProtoWriter().stringField(1, b).finish());
    extra(rec, i);
    scope.bytesField(2, rec.finish());
  });
  const rl = new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(1, kv("service.name", service)).finish()).bytesField(2, scope.finish());
  return new ProtoWriter().bytesField(1, rl.finish()).finish();
}

/** Decodes the google.rpc.Status of a failed call's grpc-status-details-bin trailer. */
export function statusDetails(err: ServiceError): { code: number; message: string; retrySeconds: number | undefined } {
  const raw = err.metadata.get("grpc-status-details-bin")[0];
  assert.ok(Buffer.isBuffer(raw), "the failure carries google.rpc.Status details");
  const r = new ProtoReader(raw);
  let code = 0;
  let message = "";
  let retrySeconds: number | undefined;
  while (!r.done()) {
    const [f, w] = r.tag();
    if (f === 1) code = r.varint32();
    else if (f === 2) message = r.string();
    else if (f === 3) {
      const any = r.message();
      let type = "";
      let value: Uint8Array = new Uint8Array();
      while (!any.done()) {
        const [f2, w2] = any.tag();
        if (f2 === 1) type = any.string();
        else if (f2 === 2) value = any.bytes().slice();
        else any.skip(w2);
      }
      assert.equal(type, "type.googleapis.com/google.rpc.RetryInfo");
      const ri = new ProtoReader(value);
      assert.deepEqual(ri.tag(), [1, 2]);
      const d = ri.message();
      assert.deepEqual(d.tag(), [1, 0]);
      retrySeconds = d.varint32();
    } else r.skip(w);
  }
  return { code, message, retrySeconds };
}

export const INGEST = { authorization: `Bearer ${TOKENS.ingest}` };
