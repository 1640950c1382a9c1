// Test-only helpers shared by the apps' tests (never imported by production code; see scripts/check-imports.mjs).

export { issueCert, makeCa, type CertPair } from "./test-certs.js";
