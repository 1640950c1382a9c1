// Stream labels: validation against limits, canonical form, and stream identity.

import { createHash } from "node:crypto";
import { CoreErrors, MeshlogError } from "./errors.js";

export type Labels = Readonly<Record<string, string>>;

/** Limits on stream labels (DESIGN §2). Defaults follow Loki's. */
export interface LabelLimits {
  readonly maxLabelNamesPerStream: number;
  readonly maxLabelNameLength: number;
  readonly maxLabelValueLength: number;
}

export const DEFAULT_LABEL_LIMITS: LabelLimits = {
  maxLabelNamesPerStream: 15,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
};

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Validates labels; throws MeshlogError naming the offending label. Empty values are dropped (as Loki does). */
export function validateLabels(labels: Record<string, string>, limits: LabelLimits = DEFAULT_LABEL_LIMITS): Labels {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of Object.entries(labels)) {
    if (typeof value !== "string") {
      throw new MeshlogError(CoreErrors.RECORD_INVALID, `labels.${name}: value must be a string`);
    }
    if (value === "") continue;
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new MeshlogError(
        CoreErrors.LABEL_NAME_INVALID,
        `labels: "${name}" is not a valid label name (letters, digits, _; not starting with a digit or __)`,
      );
    }
    if (name.length > limits.maxLabelNameLength) {
      throw new MeshlogError(CoreErrors.LABEL_NAME_INVALID, `labels: name "${name.slice(0, 64)}…" is longer than ${limits.maxLabelNameLength}`);
    }
    if (value.length > limits.maxLabelValueLength) {
      throw new MeshlogError(
        CoreErrors.LABEL_VALUE_TOO_LONG,
        `labels.${name}: value is ${value.length} characters, the limit is ${limits.maxLabelValueLength}`,
      );
    }
    out[name] = value;
    count++;
  }
  if (count > limits.maxLabelNamesPerStream) {
    throw new MeshlogError(CoreErrors.LABELS_TOO_MANY, `labels: ${count} labels exceed the limit of ${limits.maxLabelNamesPerStream} per stream`);
  }
  return out;
}

/** Canonical text of a label set, sorted by name: `{a="1", b="2"}` (the form Loki prints). */
export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(", ")}}`;
}

/** Labels sorted by name (a new object), for stable serialization. */
export function sortLabels(labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const n of Object.keys(labels).sort()) out[n] = labels[n] as string;
  return out;
}

const streamIdCache = new WeakMap<Labels, { tenant: string; text: string; id: string }>();

/**
 * Stable stream id: first 16 hex chars of SHA-256 over tenant and canonical labels. Receivers share one labels
 * object between the records of a stream, so the id is cached per object: frozen objects are trusted, others
 * are re-checked against their label text, so an object changed after first use still gets its correct id.
 */
export function streamIdOf(tenant: string, labels: Labels): string {
  const hit = streamIdCache.get(labels);
  if (hit !== undefined && hit.tenant === tenant && Object.isFrozen(labels)) return hit.id;
  const text = formatLabels(labels);
  if (hit !== undefined && hit.tenant === tenant && hit.text === text) return hit.id;
  const id = createHash("sha256").update(tenant).update("\u0000").update(text).digest("hex").slice(0, 16);
  streamIdCache.set(labels, { tenant, text, id });
  return id;
}
