// Test-only helpers shared by the tests of every package and app (never imported by production code; see
// scripts/check-imports.mjs).

export { issueCert, makeCa, type CertPair } from "./test-certs.js";
export { TEST_T0, testRecord } from "./test-record.js";
