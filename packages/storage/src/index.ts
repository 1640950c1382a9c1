// Public surface of @meshlog/storage.
export * from "./contract.js";
export * from "./errors.js";
export { MemoryStore } from "./testing/memory-store.js";
export { runLogStoreConformance, type ConformanceOptions, type MakeStore, type StoreFixture } from "./testing/conformance/log-store-conformance.js";
export type { FileSystem, FileHandle, FileStat } from "./io/file-system.js";
export { NodeFileSystem } from "./io/node-file-system.js";
export { EmbeddedStore, type EmbeddedStoreOptions, type OpenReport } from "./engine/embedded-store.js";
export type { BlockKeyRing, BlockLedger, LedgerBlockEntry, LedgerTombstone, SecurityProvider } from "./engine/security-ports.js";
export { EngineErrors } from "./engine/errors.js";
export { verifyDataDir, type VerifyReport, type VerifyProblem, type VerifyOptions } from "./verify/verify-data-dir.js";
export { FaultyFileSystem, type CrashOptions } from "./io/faulty-file-system.js";
export {
  encodeWalFrame,
  decodeWalPayload,
  FRAME_HEADER_SIZE,
  FRAME_MARKER,
  MAX_FRAME_PAYLOAD,
  type WalBatch,
  type WalStreamRecords,
} from "./wal/wal-format.js";
export * from "./file-names.js";
export type { BlockRef, CatalogStream, TenantCatalog } from "./index/catalog.js";
export { KeyRing, type KekInfo, type KeyRingOptions } from "./crypto/keyring.js";
export { sealAesGcm, openAesGcm } from "./crypto/aead.js";
export { parseMasterKey, masterKeyId } from "./crypto/key-files.js";
export { CryptoErrors } from "./crypto/errors.js";
export { Ledger, type LedgerRecovery } from "./ledger/ledger.js";
export { Signer, trustedPublicKeysIn, signingKeyIdOf } from "./ledger/signer.js";
export { verifyLedger, type VerifyLedgerOptions, type VerifyLedgerResult } from "./ledger/verify-ledger.js";
export { leafHash, nodeHash, merkleRoot, inclusionProof, verifyInclusion, consistencyProof, verifyConsistency } from "./ledger/merkle.js";
export { MerkleTree } from "./ledger/merkle-tree.js";
export { canonicalJson, canonicalJsonBytes } from "./ledger/canonical-json.js";
export { checkpointBody, checkpointHash, ledgerOrigin } from "./ledger/ledger-format.js";
export type { BlockEntry, Checkpoint, LedgerEntry, LedgerEvent, Tombstone, TombstoneReplacement } from "./ledger/ledger-format.js";
export { LedgerErrors } from "./ledger/errors.js";
export { checkpointNote, noteKeyHint } from "./ledger/checkpoint-note.js";
export {
  REPORT_LEDGER_EVENT,
  reportContentHash,
  reportSignedBytes,
  verifyReport,
  type AnchorLedgerView,
  type ReportCheck,
  type ReportVerification,
} from "./ledger/report-verify.js";
export { RetentionErrors } from "./retention/errors.js";
export { parseRetentionDays, formatRetentionDays, retentionClassName, retentionDaysOfClass, periodEndNs, NS_PER_DAY } from "./retention/retention-class.js";
export {
  RetentionPolicies,
  isAuditStream,
  type RetentionRule,
  type TenantPolicySpec,
  type TenantPolicy,
  type RetentionSettings,
  type CompiledSelector,
  type SelectorCompiler,
} from "./retention/retention-policy.js";
export { PolicyStore } from "./retention/policy-store.js";
export { HoldStore, type LegalHold, type NewHold } from "./retention/legal-hold.js";
export {
  buildCertificate,
  certificateProblems,
  certificateId,
  KEK_DESTROYED_EVENT,
  isCompactionTombstone,
  type DeletionCertificate,
  type CertifiedBlock,
  type CertificateKind,
} from "./retention/deletion-certificate.js";
export { CertificateStore, checkCertificates } from "./retention/certificate-store.js";
export {
  RetentionEnforcer,
  eventLedgerOf,
  shreddingKeyRingOf,
  type RetentionTarget,
  type RetentionRunReport,
  type RetentionEnforcerOptions,
  type EventLedger,
  type ShreddingKeyRing,
} from "./retention/retention-enforcer.js";
export {
  DeletionRequests,
  type DeletionRequestSpec,
  type DeletionRequestRecord,
  type RewriteTarget,
  type LineFilterCompiler,
} from "./retention/deletion-request.js";
export type { BlockReplacement } from "./engine/block-rewrite.js";
export { Compactor, type CompactionTarget, type CompactorOptions, type CompactionReport } from "./retention/block-compactor.js";
export {
  COMPACTION_REASON,
  type CompactionRequest,
  type CompactedBlock,
  type CompactionPlan,
  type CompactionRecovery,
  type CompactionStep,
} from "./engine/block-compact.js";
