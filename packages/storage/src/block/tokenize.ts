// Tokens for bloom filters: maximal runs of [A-Za-z0-9_] or non-ASCII characters, lower-cased.

/** True when the UTF-16 code unit belongs to a token. */
function isTokenChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}

/**
 * Calls `emit` with each lower-cased token of `text`. A token is a maximal run of ASCII letters, digits,
 * `_`, or any non-ASCII character; everything else separates tokens. Callers that prune by bloom filter
 * must only ask for whole tokens in this sense (see `tokensOf`).
 */
export function forEachToken(text: string, emit: (token: string) => void): void {
  const n = text.length;
  let start = -1;
  let upper = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    if (isTokenChar(c)) {
      if (start < 0) start = i;
      if ((c >= 65 && c <= 90) || c >= 128) upper = true;
    } else if (start >= 0) {
      const t = text.slice(start, i);
      emit(upper ? t.toLowerCase() : t);
      start = -1;
      upper = false;
    }
  }
}

/** All tokens of a text, in order (duplicates kept). */
export function tokensOf(text: string): string[] {
  const out: string[] = [];
  forEachToken(text, (t) => out.push(t));
  return out;
}
