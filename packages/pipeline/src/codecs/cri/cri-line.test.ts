import { test } from "node:test";
import assert from "node:assert/strict";
import { CriJoiner, parseCriLine } from "./cri-line.js";
import { DockerJoiner, parseDockerLine } from "../docker/docker-line.js";

test("CriJoiner concatenates P lines up to the next F line of the same stream", () => {
  const j = new CriJoiner();
  const lines = [
    "2016-10-06T00:17:09.669794202Z stdout P First line of ",
    "2016-10-06T00:17:09.700000000Z stderr F an error in between",
    "2016-10-06T00:17:09.769794202Z stdout P log entry ",
    "2016-10-06T00:17:09.869794202Z stdout F 2",
  ];
  const out = lines.map((l) => j.pushLine(l));
  assert.equal(out[0], undefined);
  assert.deepEqual(out[1], { timestamp: 1475713029700000000n, stream: "stderr", partial: false, content: "an error in between" });
  assert.equal(out[2], undefined);
  assert.deepEqual(out[3], { timestamp: 1475713029669794202n, stream: "stdout", partial: false, content: "First line of log entry 2" });
  assert.equal(j.pendingStreams, 0);
});

test("CriJoiner bounds a joined line and flushes what is pending", () => {
  const j = new CriJoiner({ maxBytes: 10 });
  assert.equal(j.pushLine("2024-01-01T00:00:00Z stdout P 123456"), undefined);
  const cut = j.pushLine("2024-01-01T00:00:01Z stdout P 7890ab");
  assert.deepEqual(cut, { timestamp: 1704067200000000000n, stream: "stdout", partial: false, content: "1234567890ab", truncated: true });
  assert.equal(j.pushLine("2024-01-01T00:00:02Z stderr P tail"), undefined);
  assert.deepEqual(j.flush(), [{ timestamp: 1704067202000000000n, stream: "stderr", partial: true, content: "tail" }]);
  assert.equal(j.pendingStreams, 0);
});

const notCri = [
  "",
  "hello world",
  "2024-01-01T00:00:00Z stdin F x",
  "2024-01-01T00:00:00Z stdout X x",
  "2024-01-01T00:00:00Z stdout",
  "not-a-timestamp-at-all stdout F x",
  "2024-13-01 stdout F x",
  `${"9".repeat(1000)} stdout F x`,
];
for (const line of notCri) {
  test(`parseCriLine rejects ${JSON.stringify(line.slice(0, 40))}`, () => {
    assert.equal(parseCriLine(line), undefined);
    assert.equal(new CriJoiner().pushLine(line), undefined);
  });
}

test("parseCriLine accepts future colon-separated tags and strips one trailing newline", () => {
  assert.deepEqual(parseCriLine("2024-01-01T00:00:00.5Z stdout F:x msg\n"), {
    timestamp: 1704067200500000000n,
    stream: "stdout",
    tags: "F:x",
    partial: false,
    content: "msg",
  });
});

test("DockerJoiner joins json-file lines until one ends with a newline", () => {
  const j = new DockerJoiner();
  assert.equal(j.pushLine('{"log":"part one, ","stream":"stdout","time":"2019-01-01T11:11:11.1Z"}'), undefined);
  assert.deepEqual(j.pushLine('{"log":"part two\\n","stream":"stdout","time":"2019-01-01T11:11:11.2Z"}'), {
    timestamp: 1546341071100000000n,
    stream: "stdout",
    partial: false,
    content: "part one, part two",
  });
});

const notDocker = [
  '{"log":1,"stream":"stdout","time":"x"}',
  '{"log":"x","stream":"stdout","time":"yesterday"}',
  '{"log":"x"',
  "[1,2]",
  "null",
  '{"stream":"stdout"}',
];
for (const line of notDocker) {
  test(`parseDockerLine rejects ${line}`, () => {
    assert.equal(parseDockerLine(line), undefined);
  });
}
