// Test support entry (`@meshlog/agent/testing`): a native-ingest stand-in, a spawned agent, test certificates.

export { IngestStub, type IngestStubOptions } from "./ingest-stub.js";
export { spawnAgent, exited, waitFor, sleep } from "./spawn-agent.js";
export { makeTestCerts, type TestCerts } from "./test-certs.js";
