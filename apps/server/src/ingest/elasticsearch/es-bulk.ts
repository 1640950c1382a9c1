// Parses an Elasticsearch _bulk NDJSON body into actions and builds the per-item response in ES's exact shape.

import { randomBytes } from "node:crypto";
import { MeshlogError, type LogRecord } from "@meshlog/core";
import { ElasticsearchErrors } from "./errors.js";
import { DocumentError, documentToRecord, indexNameProblem } from "./es-document.js";

/** One response item as compact JSON text: `{"<action>":{"_index":…,"_id":…,"status":…}}`. */
export type BulkItem = string;

export interface BulkResult {
  /** Records to store, in request order. */
  readonly records: LogRecord[];
  /** Response items, one per action, in request order (success items are finalized once stored). */
  readonly items: BulkItem[];
  readonly errors: boolean;
  readonly rejected: number;
}

const ACTIONS = new Set(["index", "create", "update", "delete"]);

const bulkInvalid = (msg: string): MeshlogError => new MeshlogError(ElasticsearchErrors.ES_BULK_INVALID, msg);

let idPrefix = randomBytes(9).toString("base64url");
let idCounter = 0;

/**
 * A unique document id in the style of Elasticsearch's auto-generated ids (20 url-safe chars): a random
 * per-process prefix and a counter (a fresh random prefix when the counter wraps), cheap enough per document.
 */
export function generateDocId(): string {
  if (idCounter >= 0xffffffff) {
    idPrefix = randomBytes(9).toString("base64url");
    idCounter = 0;
  }
  return idPrefix + (idCounter++).toString(36).padStart(8, "0");
}

function itemError(action: string, index: string, id: string | undefined, status: number, type: string, reason: string): BulkItem {
  return JSON.stringify({
    [action]: { _index: index, ...(id !== undefined ? { _id: id } : {}), status, error: { type, reason, ...(index !== "" ? { index } : {}) } },
  });
}

/** Parses and checks one action/metadata line: the action, its index (or the path's) and its id. Throws ES_BULK_INVALID. */
function parseAction(actionLine: string, actionLineNo: number, defaultIndex: string | undefined): { action: string; index: string; id: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(actionLine);
  } catch (err) {
    throw bulkInvalid(`Malformed action/metadata line [${actionLineNo}], expected a JSON object: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw bulkInvalid(`Malformed action/metadata line [${actionLineNo}], expected START_OBJECT`);
  const keys = Object.keys(parsed);
  const action = keys[0];
  if (keys.length !== 1 || action === undefined || !ACTIONS.has(action)) {
    throw bulkInvalid(
      `Malformed action/metadata line [${actionLineNo}], expected field [create], [delete], [index] or [update] but found [${keys.join(", ").slice(0, 80)}]`,
    );
  }
  const meta = (parsed as Record<string, unknown>)[action];
  if (meta === null || typeof meta !== "object" || Array.isArray(meta))
    throw bulkInvalid(`Malformed action/metadata line [${actionLineNo}], the [${action}] metadata must be an object`);
  const m = meta as Record<string, unknown>;
  const index = typeof m._index === "string" ? m._index : (defaultIndex ?? "");
  const id = typeof m._id === "string" ? m._id : typeof m._id === "number" ? String(m._id) : undefined;
  return { action, index, id };
}

/**
 * Parses the bulk body. Whole-request problems (malformed action line, missing source line, no trailing
 * newline) throw ES_BULK_INVALID; per-document problems become error items with `errors: true`.
 * `seqBase` numbers the `_seq_no` of created items.
 */
export function parseBulk(text: string, defaultIndex: string | undefined, tenant: string, nowNs: bigint, maxLineBytes: number, seqBase: number): BulkResult {
  if (text.trim() === "") throw bulkInvalid("Validation Failed: 1: no requests added;");
  if (!text.endsWith("\n")) throw bulkInvalid("The bulk request must be terminated by a newline [\\n]");
  const records: LogRecord[] = [];
  const items: BulkItem[] = [];
  let errors = false;
  let rejected = 0;
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    while (pos < text.length) {
      const nl = text.indexOf("\n", pos);
      const end = nl < 0 ? text.length : nl;
      let line = text.slice(pos, end);
      pos = end + 1;
      lineNo++;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.trim() !== "") return line;
    }
    return undefined;
  };
  let seq = seqBase;
  const quoted = new Map<string, string>();
  // Shippers repeat the same action line (`{"create":{"_index":"logs"}}`) for every document: parse each text once.
  let lastAction: { line: string; action: string; index: string; id: string | undefined } | undefined;
  for (;;) {
    const actionLine = nextLine();
    if (actionLine === undefined) break;
    const actionLineNo = lineNo;
    let action: string;
    let index: string;
    let id: string | undefined;
    if (lastAction !== undefined && lastAction.line === actionLine) ({ action, index, id } = lastAction);
    else {
      ({ action, index, id } = parseAction(actionLine, actionLineNo, defaultIndex));
      lastAction = { line: actionLine, action, index, id };
    }
    if (action === "delete") {
      errors = true;
      rejected++;
      items.push(
        itemError(action, index, id, 400, "illegal_argument_exception", "meshlog stores logs append-only: [delete] is not supported (use retention policies)"),
      );
      continue;
    }
    const sourceLine = nextLine();
    if (sourceLine === undefined) throw bulkInvalid(`The bulk request is missing the source line after the [${action}] action on line [${actionLineNo}]`);
    if (action === "update") {
      errors = true;
      rejected++;
      items.push(
        itemError(action, index, id, 400, "illegal_argument_exception", "meshlog stores logs append-only: [update] is not supported (send index or create)"),
      );
      continue;
    }
    const problem = indexNameProblem(index);
    if (problem !== undefined) {
      errors = true;
      rejected++;
      items.push(
        itemError(
          action,
          index,
          id,
          400,
          index === "" ? "action_request_validation_exception" : "invalid_index_name_exception",
          index === "" ? "Validation Failed: 1: index is missing;" : problem,
        ),
      );
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(sourceLine);
    } catch (err) {
      errors = true;
      rejected++;
      items.push(itemError(action, index, id, 400, "document_parsing_exception", `[${lineNo}] failed to parse: ${(err as Error).message}`));
      continue;
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      errors = true;
      rejected++;
      items.push(itemError(action, index, id, 400, "document_parsing_exception", `[${lineNo}] failed to parse: the document must be a JSON object`));
      continue;
    }
    const docId = id ?? generateDocId();
    try {
      records.push(documentToRecord(doc as Record<string, unknown>, index, id, tenant, nowNs, maxLineBytes));
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
      errors = true;
      rejected++;
      items.push(itemError(action, index, docId, 400, err.type, err.message));
      continue;
    }
    let indexJson = quoted.get(index);
    if (indexJson === undefined) quoted.set(index, (indexJson = JSON.stringify(index)));
    items.push(
      `{"${action}":{"_index":${indexJson},"_id":${JSON.stringify(docId)},"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":${seq++},"_primary_term":1,"status":201}}`,
    );
  }
  return { records, items, errors, rejected };
}

/** The compact `_bulk` response body (Vector and Fluent Bit match its literal text). */
export function bulkResponseBody(took: number, errors: boolean, items: readonly BulkItem[]): string {
  return `{"took":${took},"errors":${errors},"items":[${items.join(",")}]}`;
}

/** An Elasticsearch whole-request error body: {"error":{"root_cause":[…],"type","reason"},"status"}. */
export function esErrorBody(status: number, type: string, reason: string): string {
  return JSON.stringify({ error: { root_cause: [{ type, reason }], type, reason }, status });
}
