// Injectable clock, so time-dependent code (retention, checkpoints, group commit) is testable.

import { nowNs } from "./time.js";

export interface Clock {
  /** Wall time in nanoseconds since the Unix epoch. */
  nowNs(): bigint;
  /** Wall time in milliseconds. */
  nowMs(): number;
}

export const systemClock: Clock = {
  nowNs,
  nowMs: () => Date.now(),
};

/** A clock that only moves when told to (tests). */
export class ManualClock implements Clock {
  #ns: bigint;
  constructor(startNs: bigint = 1_700_000_000_000_000_000n) {
    this.#ns = startNs;
  }
  nowNs(): bigint {
    return this.#ns;
  }
  nowMs(): number {
    return Number(this.#ns / 1_000_000n);
  }
  advance(ns: bigint): void {
    this.#ns += ns;
  }
  set(ns: bigint): void {
    this.#ns = ns;
  }
}
