// DeniedBursts: the bursts of a hand-made timeline, agreement with the all-in-memory rule on random timelines, and
// bounded memory and listing under a flood of denied requests.

import { test } from "node:test";
import assert from "node:assert/strict";
import { DeniedBursts, type DeniedBurst } from "./denied-bursts.js";

const W = 5 * 60_000;
const MIN = 60_000;
const T0 = Date.parse("2027-01-01T00:00:00Z");

/** The rule over every time kept in memory (sorted times of one key), as the report computed it before. */
function reference(who: string, times: readonly number[], count: number): DeniedBurst[] {
  const out: DeniedBurst[] = [];
  let i = 0;
  for (let j = 0; j < times.length; j++) {
    while ((times[j] as number) - (times[i] as number) > W) i++;
    if (j - i + 1 >= count) {
      let k = j;
      while (k + 1 < times.length && (times[k + 1] as number) - (times[i] as number) <= W) k++;
      out.push({ who, from: new Date(times[i] as number).toISOString(), to: new Date(times[k] as number).toISOString(), denied: k - i + 1 });
      i = k + 1;
      j = k;
    }
  }
  return out;
}

const key = (b: DeniedBurst): string => `${b.who} ${b.from} ${b.to} ${b.denied}`;

test("bursts of a hand-made timeline: 10 within 5 minutes make one, later denials within the window join it", () => {
  const d = new DeniedBursts(W, 10, 100);
  for (let i = 0; i < 9; i++) d.add("nine", T0 + i * MIN); // 9 denials: no burst
  for (let i = 0; i < 12; i++) d.add("twelve", T0 + i * 10_000); // 12 within 2 min: one burst of 12
  for (let i = 0; i < 10; i++) d.add("two", T0 + i * 1000); // 10 in 10 s ...
  for (let i = 0; i < 10; i++) d.add("two", T0 + 6 * MIN + i * 1000); // ... then 10 more after the window: a second burst
  const { bursts, total } = d.finish();
  assert.equal(total, 3);
  assert.deepEqual(bursts.map(key).sort(), [
    `twelve ${new Date(T0).toISOString()} ${new Date(T0 + 110_000).toISOString()} 12`,
    `two ${new Date(T0).toISOString()} ${new Date(T0 + 9000).toISOString()} 10`,
    `two ${new Date(T0 + 6 * MIN).toISOString()} ${new Date(T0 + 6 * MIN + 9000).toISOString()} 10`,
  ]);
});

test("on random timelines the streaming detector finds exactly the bursts of the all-in-memory rule", () => {
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 50; round++) {
    const events: [string, number][] = [];
    let t = T0;
    for (let i = 0; i < 400; i++) {
      t += Math.floor(rand() * (rand() < 0.7 ? 20_000 : 400_000));
      events.push([`p${Math.floor(rand() * 4)}`, t]);
    }
    const d = new DeniedBursts(W, 5, 10_000);
    for (const [who, ms] of events) d.add(who, ms);
    const got = d.finish().bursts.map(key).sort();
    const want = ["p0", "p1", "p2", "p3"]
      .flatMap((who) =>
        reference(
          who,
          events.filter(([w]) => w === who).map(([, ms]) => ms),
          5,
        ),
      )
      .map(key)
      .sort();
    assert.deepEqual(got, want, `round ${round}`);
  }
});

test("a flood of denied requests keeps fewer than `count` times per key and lists at most maxListed bursts", () => {
  const d = new DeniedBursts(W, 10, 50);
  // One principal denied every 100 ms for 10 hours, and 20000 addresses denied once each.
  for (let i = 0; i < 360_000; i++) {
    d.add("flooder", T0 + i * 100);
    if (i % 18 === 0) d.add(`anonymous@10.0.${(i / 18) % 256}.${Math.floor(i / 18 / 256)}`, T0 + i * 100);
    if (i % 10_000 === 0) assert.ok(d.held <= 9 * 4096 + 9, `held ${d.held} at ${i}`);
  }
  assert.ok(d.held < 4096 * 10);
  const { bursts, total } = d.finish();
  assert.equal(bursts.length, 50, "the listing is capped");
  assert.equal(total, 120, "every 5-minute window of the flood is one burst, all counted (10 h / 5 min)");
});
