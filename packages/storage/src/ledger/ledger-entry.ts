// Shape checks for ledger entries and checkpoints, shared by appends (reject input) and readers (report files).

import { canonicalJson } from "./canonical-json.js";
import type { BlockEntry, Checkpoint, LedgerEntry, LedgerEvent, Tombstone } from "./ledger-format.js";

const HEX64 = /^[0-9a-f]{64}$/;
const EVENT_KIND = /^[a-z][a-z0-9_.:-]{0,63}$/;
const MAX_ID = 256;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = MAX_ID): v is string => typeof v === "string" && v.length > 0 && v.length <= max;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function unknownKeys(o: Obj, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  return extra.length > 0 ? `unknown field "${extra[0]}"` : undefined;
}

/** Problem with a block entry, or undefined when it is well-formed. */
export function blockEntryProblem(v: unknown): string | undefined {
  if (!isObj(v)) return "block entry is not an object";
  const e = v as Partial<Record<keyof BlockEntry, unknown>>;
  if (!isStr(e.blockId)) return "blockId must be a non-empty string of at most 256 characters";
  if (typeof e.headerHash !== "string" || !HEX64.test(e.headerHash)) return `headerHash of block "${e.blockId}" must be 64 lower-case hex characters`;
  if (!isStr(e.streamId)) return `streamId of block "${e.blockId}" must be a non-empty string of at most 256 characters`;
  if (!isCount(e.records)) return `records of block "${e.blockId}" must be a non-negative integer`;
  if (!isStr(e.minTime, 64) || !isStr(e.maxTime, 64)) return `minTime and maxTime of block "${e.blockId}" must be non-empty strings`;
  return unknownKeys(v, ["blockId", "headerHash", "streamId", "records", "minTime", "maxTime"]);
}

/** Problem with a tombstone, or undefined when it is well-formed. */
export function tombstoneProblem(v: unknown): string | undefined {
  if (!isObj(v)) return "tombstone is not an object";
  const t = v as Partial<Record<keyof Tombstone, unknown>>;
  if (!isStr(t.reason, 4096)) return "tombstone reason must be a non-empty string";
  if (t.policy !== undefined && !isStr(t.policy, 4096)) return "tombstone policy must be a non-empty string when given";
  if (t.principal !== undefined && !isStr(t.principal)) return "tombstone principal must be a non-empty string when given";
  if (!isStr(t.time, 64)) return "tombstone time must be a non-empty string";
  for (const k of ["blockIds", "headerHashes", "keyIds"] as const) {
    const a = t[k];
    if (!Array.isArray(a) || !a.every((x) => isStr(x))) return `tombstone ${k} must be an array of non-empty strings`;
  }
  const ids = t.blockIds as string[];
  const hashes = t.headerHashes as string[];
  if (hashes.length !== ids.length) return `tombstone lists ${ids.length} blockIds but ${hashes.length} headerHashes`;
  const bad = hashes.findIndex((h) => !HEX64.test(h));
  if (bad >= 0) return `tombstone headerHashes[${bad}] must be 64 lower-case hex characters`;
  if (t.replacedBy !== undefined) {
    const r = t.replacedBy;
    if (!isObj(r)) return "tombstone replacedBy must be an object when given";
    const rIds = r.blockIds;
    const rHashes = r.headerHashes;
    if (!Array.isArray(rIds) || rIds.length === 0 || !rIds.every((x) => isStr(x)))
      return "tombstone replacedBy.blockIds must be a non-empty array of non-empty strings";
    if (!Array.isArray(rHashes) || rHashes.length !== rIds.length || !rHashes.every((h) => typeof h === "string" && HEX64.test(h)))
      return "tombstone replacedBy.headerHashes must list one 64-hex-character hash per replacement block";
    if (!isCount(r.records)) return "tombstone replacedBy.records must be a non-negative integer";
    const extra = unknownKeys(r, ["blockIds", "headerHashes", "records"]);
    if (extra !== undefined) return `tombstone replacedBy: ${extra}`;
  }
  return unknownKeys(v, ["reason", "policy", "blockIds", "headerHashes", "keyIds", "principal", "time", "replacedBy"]);
}

/** Problem with an event, or undefined when it is well-formed and encodable as canonical JSON. */
export function eventProblem(v: unknown): string | undefined {
  if (!isObj(v)) return "event is not an object";
  if (typeof v.kind !== "string" || !EVENT_KIND.test(v.kind)) return `event kind ${JSON.stringify(v.kind)} must match ${EVENT_KIND.source}`;
  if (!isObj(v.data)) return `event "${v.kind}" data must be an object`;
  try {
    canonicalJson(v.data);
  } catch (e) {
    return `event "${v.kind}" data: ${(e as Error).message}`;
  }
  return unknownKeys(v, ["kind", "data"]);
}

/** Problem with a stored entry at `index` of `tenant`'s ledger, or undefined. */
export function entryProblem(v: unknown, index: number, tenant: string): string | undefined {
  if (!isObj(v)) return "entry is not a JSON object";
  if (v.index !== index) return `entry claims index ${String(v.index)} at position ${index} (entries removed, inserted or reordered)`;
  if (v.tenant !== tenant) return `entry belongs to tenant ${JSON.stringify(v.tenant)}, not "${tenant}"`;
  if (!isStr(v.time, 64)) return "entry time must be a non-empty string";
  switch (v.type) {
    case "block":
      return blockEntryProblem(v.block) ?? unknownKeys(v, ["index", "tenant", "time", "type", "block"]);
    case "tombstone":
      return tombstoneProblem(v.tombstone) ?? unknownKeys(v, ["index", "tenant", "time", "type", "tombstone"]);
    case "event":
      return eventProblem(v.event as LedgerEvent) ?? unknownKeys(v, ["index", "tenant", "time", "type", "event"]);
    default:
      return `unknown entry type ${JSON.stringify(v.type)}`;
  }
}

/** Parses a stored entry payload: the entry, or a problem (bad JSON, not canonical, bad shape). */
export function parseEntryPayload(payload: Buffer, index: number, tenant: string): { entry: LedgerEntry } | { problem: string } {
  let v: unknown;
  const text = payload.toString("utf8");
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: "entry is not valid JSON" };
  }
  const problem = entryProblem(v, index, tenant);
  if (problem !== undefined) return { problem };
  if (canonicalJson(v) !== text) return { problem: "entry is not in canonical JSON form" };
  return { entry: v as LedgerEntry };
}

const CHECKPOINT_KEYS = ["origin", "tenant", "treeSize", "rootHash", "time", "seq", "prevCheckpointHash", "keyId", "signature"];

/** Parses a stored checkpoint payload: the checkpoint, or a problem. */
export function parseCheckpointPayload(payload: Buffer): { checkpoint: Checkpoint } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString("utf8"));
  } catch {
    return { problem: "checkpoint is not valid JSON" };
  }
  const problem = checkpointProblem(v);
  return problem === undefined ? { checkpoint: v as Checkpoint } : { problem };
}

/** Problem with a checkpoint's shape, or undefined. */
export function checkpointProblem(v: unknown): string | undefined {
  if (!isObj(v)) return "checkpoint is not a JSON object";
  if (!isStr(v.origin) || !isStr(v.tenant) || !isStr(v.time, 64) || !isStr(v.keyId) || !isStr(v.signature, 512)) {
    return "checkpoint origin, tenant, time, keyId and signature must be non-empty strings";
  }
  if (!isCount(v.treeSize)) return "checkpoint treeSize must be a non-negative integer";
  if (!isCount(v.seq) || v.seq < 1) return "checkpoint seq must be a positive integer";
  if (typeof v.rootHash !== "string" || !HEX64.test(v.rootHash)) return "checkpoint rootHash must be 64 lower-case hex characters";
  if (typeof v.prevCheckpointHash !== "string" || !HEX64.test(v.prevCheckpointHash))
    return "checkpoint prevCheckpointHash must be 64 lower-case hex characters";
  return unknownKeys(v, CHECKPOINT_KEYS);
}
