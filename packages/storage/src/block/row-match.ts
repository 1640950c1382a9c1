// Row-level needle check for scans: the same text a block bloom indexes, tested per row before records are built.

/**
 * Needles every returned row must contain, prepared once per scan. A row passes when each needle occurs,
 * ignoring ASCII case, in its body, an attribute value, a resource value, its trace id or its span id: the
 * text the block bloom covers, so dropping a failing row is exactly as safe as pruning a block by its
 * bloom. Needles with non-ASCII characters never drop a row (case folding there is not positional).
 */
export class RowNeedles {
  readonly #exact: readonly string[];
  readonly #lower: readonly string[];
  readonly active: boolean;

  constructor(needles: readonly string[]) {
    // eslint-disable-next-line no-control-regex
    const usable = needles.filter((n) => n !== "" && /^[\x00-\x7f]*$/.test(n));
    this.#exact = usable;
    this.#lower = usable.map((n) => n.toLowerCase());
    this.active = usable.length > 0;
  }

  /** True when every needle occurs in one of the texts (each needle may match a different text). */
  matches(body: string, traceId: string, spanId: string, attributes: Readonly<Record<string, string>>, resource: Readonly<Record<string, string>>): boolean {
    let lowerBody: string | undefined;
    for (let k = 0; k < this.#exact.length; k++) {
      const exact = this.#exact[k] as string;
      if (body.includes(exact)) continue;
      const lower = this.#lower[k] as string;
      lowerBody ??= body.toLowerCase();
      if (lowerBody.includes(lower) || inLower(traceId, lower) || inLower(spanId, lower) || inValues(attributes, lower) || inValues(resource, lower)) continue;
      return false;
    }
    return true;
  }
}

function inLower(text: string, lower: string): boolean {
  return text.length >= lower.length && text.toLowerCase().includes(lower);
}

function inValues(o: Readonly<Record<string, string>>, lower: string): boolean {
  for (const k in o) if (inLower(o[k] as string, lower)) return true;
  return false;
}
