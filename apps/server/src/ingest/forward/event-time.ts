// Forward-protocol event times: EventTime (msgpack ext type 0: uint32 seconds + uint32 nanoseconds), integer
// seconds and float seconds, all converted exactly to bigint nanoseconds.

import { ExtensionCodec } from "@msgpack/msgpack";
import { MeshlogError, NS_PER_SECOND } from "@meshlog/core";
import { ForwardErrors } from "./errors.js";

/** A decoded EventTime; kept as a class so it is distinguishable from records. */
export class EventTime {
  constructor(
    readonly seconds: number,
    readonly nanoseconds: number,
  ) {}
}

/** Decodes ext type 0 as EventTime (both fixext8 and ext8 carry the same 8 bytes). */
export const forwardExtensionCodec = new ExtensionCodec();
forwardExtensionCodec.register({
  type: 0,
  encode: (value: unknown) => {
    if (!(value instanceof EventTime)) return null;
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, value.seconds);
    view.setUint32(4, value.nanoseconds);
    return out;
  },
  decode: (data: Uint8Array) => {
    if (data.byteLength !== 8) throw new MeshlogError(ForwardErrors.FORWARD_ENTRY_INVALID, `EventTime must be 8 bytes, got ${data.byteLength}`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return new EventTime(view.getUint32(0), view.getUint32(4));
  },
});

/** Converts a forward time (EventTime, integer or float seconds) to nanoseconds; throws on anything else. */
export function forwardTimeToNs(time: unknown): bigint {
  if (time instanceof EventTime) {
    if (time.nanoseconds >= 1_000_000_000)
      throw new MeshlogError(ForwardErrors.FORWARD_ENTRY_INVALID, `EventTime nanoseconds ${time.nanoseconds} out of range`);
    return BigInt(time.seconds) * NS_PER_SECOND + BigInt(time.nanoseconds);
  }
  if (typeof time === "number" && Number.isFinite(time) && time >= 0) {
    if (Number.isInteger(time)) return BigInt(time) * NS_PER_SECOND;
    const whole = Math.floor(time);
    return BigInt(whole) * NS_PER_SECOND + BigInt(Math.round((time - whole) * 1e9));
  }
  if (typeof time === "bigint" && time >= 0n) return time * NS_PER_SECOND;
  throw new MeshlogError(
    ForwardErrors.FORWARD_ENTRY_INVALID,
    `event time must be EventTime or a non-negative number of seconds, got ${typeof time === "object" ? JSON.stringify(time) : String(time)}`,
  );
}
