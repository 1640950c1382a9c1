// Per-entry label view for the pipeline: stream labels, structured metadata and parsed labels, with
// copy-on-write changes and the __error__/__error_details__ pseudo-labels.

import type { Labels } from "@meshlog/core";

export const ERROR_LABEL = "__error__";
export const ERROR_DETAILS_LABEL = "__error_details__";

/** Loki's error values for __error__. */
export const PipelineErrors = {
  json: "JSONParserErr",
  logfmt: "LogfmtParserErr",
  labelFilter: "LabelFilterErr",
  template: "TemplateFormatErr",
  sample: "SampleExtractionErr",
} as const;

/** Turns an arbitrary key into a valid label name (`http.method` -> `http_method`). */
export function sanitizeLabelName(key: string): string {
  if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) return key;
  let s = key.replace(/[^a-zA-Z0-9_]/g, "_");
  if (!/^[a-zA-Z_]/.test(s)) s = "_" + s;
  return s;
}

export class LabelsBuilder {
  readonly stream: Labels;
  readonly #metaSource: () => Record<string, string>;
  #meta: Record<string, string> | undefined;
  /** Labels added or changed by the pipeline (value "" with `deleted` means removed). */
  #own: Map<string, string> | undefined;
  #deleted: Set<string> | undefined;
  error: string | undefined;
  errorDetails: string | undefined;

  constructor(stream: Labels, meta: () => Record<string, string>) {
    this.stream = stream;
    this.#metaSource = meta;
  }

  meta(): Record<string, string> {
    return (this.#meta ??= this.#metaSource());
  }

  get(name: string): string | undefined {
    if (name === ERROR_LABEL) return this.error;
    if (name === ERROR_DETAILS_LABEL) return this.errorDetails;
    if (this.#deleted?.has(name) === true) return undefined;
    const own = this.#own?.get(name);
    if (own !== undefined) return own;
    return this.stream[name] ?? this.meta()[name];
  }

  has(name: string): boolean {
    const v = this.get(name);
    return v !== undefined && v !== "";
  }

  set(name: string, value: string): void {
    if (name === ERROR_LABEL) {
      this.error = value === "" ? undefined : value;
      return;
    }
    if (name === ERROR_DETAILS_LABEL) {
      this.errorDetails = value === "" ? undefined : value;
      return;
    }
    (this.#own ??= new Map()).set(name, value);
    this.#deleted?.delete(name);
  }

  /** Sets a label extracted by a parser: a name clashing with a stream label gets the `_extracted` suffix. */
  setParsed(name: string, value: string): void {
    if (Object.hasOwn(this.stream, name)) name = `${name}_extracted`;
    this.set(name, value);
  }

  delete(name: string): void {
    if (name === ERROR_LABEL) {
      this.error = undefined;
      return;
    }
    if (name === ERROR_DETAILS_LABEL) {
      this.errorDetails = undefined;
      return;
    }
    this.#own?.delete(name);
    (this.#deleted ??= new Set()).add(name);
  }

  setError(error: string, details?: string): void {
    if (this.error !== undefined) return;
    this.error = error;
    if (details !== undefined) this.errorDetails = details;
  }

  /** Names of all visible labels. */
  names(): string[] {
    const out = new Set<string>();
    for (const k in this.stream) out.add(k);
    for (const k in this.meta()) out.add(k);
    if (this.#own !== undefined) for (const k of this.#own.keys()) out.add(k);
    if (this.#deleted !== undefined) for (const k of this.#deleted) out.delete(k);
    return [...out];
  }

  /** True when the pipeline changed nothing beyond stream labels and metadata. */
  get pristine(): boolean {
    return this.#own === undefined && this.#deleted === undefined && this.error === undefined;
  }

  /** Labels the pipeline added (parsed/formatted), without stream labels or metadata. */
  parsed(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.#own !== undefined) for (const [k, v] of this.#own) if (v !== "") out[k] = v;
    if (this.error !== undefined) out[ERROR_LABEL] = this.error;
    if (this.errorDetails !== undefined) out[ERROR_DETAILS_LABEL] = this.errorDetails;
    return out;
  }

  /** All labels (stream, metadata, parsed, errors), empty values omitted. */
  all(opts: { withMeta?: boolean } = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k in this.stream) out[k] = this.stream[k] as string;
    if (opts.withMeta !== false) {
      const m = this.meta();
      for (const k in m) if (!Object.hasOwn(out, k)) out[k] = m[k] as string;
    }
    if (this.#own !== undefined) for (const [k, v] of this.#own) out[k] = v;
    if (this.#deleted !== undefined) for (const k of this.#deleted) delete out[k];
    for (const k in out) if (out[k] === "") delete out[k];
    if (this.error !== undefined) out[ERROR_LABEL] = this.error;
    if (this.errorDetails !== undefined) out[ERROR_DETAILS_LABEL] = this.errorDetails;
    return out;
  }
}
