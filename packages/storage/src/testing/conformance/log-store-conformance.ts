// The LogStore conformance suite: one set of node:test cases every storage backend must pass (DESIGN §8).

import type { ConformanceOptions, MakeStore, StoreFixture } from "./conformance-kit.js";

export type { ConformanceOptions, MakeStore, StoreFixture } from "./conformance-kit.js";

/**
 * Registers the conformance cases for one backend under `describe("LogStore conformance: NAME")`. Each case gets
 * a fresh store from makeStore(), and the store is closed and cleaned up afterwards, pass or fail. The cases
 * check the contract of `contract.ts` only: stream ids are taken from streams(), never computed.
 * node:test and the cases (which use node:assert) are imported on call, so that importing @meshlog/storage never
 * loads the test runner: call it at the top level of a test file with `await`.
 */
export async function runLogStoreConformance(name: string, makeStore: MakeStore, opts: ConformanceOptions = {}): Promise<void> {
  const { describe, test } = await import("node:test");
  const { selectCases } = await import("./select-cases.js");
  const { storeCases } = await import("./store-cases.js");
  describe(`LogStore conformance: ${name}`, () => {
    for (const c of [...selectCases, ...storeCases]) {
      if (c.when !== undefined && !c.when(opts)) continue;
      test(c.title, { timeout: opts.timeoutMs ?? 60_000 }, async () => {
        const fixture: StoreFixture = await makeStore();
        try {
          await c.run({ fixture, store: fixture.store });
        } finally {
          try {
            await fixture.store.close();
          } finally {
            await fixture.cleanup();
          }
        }
      });
    }
  });
}
