// Canonical keys for label sets (series identity) and small label-set helpers.

/** A stable key for a label set: names sorted, NUL/SOH separated. */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  let k = "";
  for (const n of names) k += `${n}\u0001${labels[n] as string}\u0000`;
  return k;
}

/** Labels restricted to `names` (by) or without them (without). */
export function projectLabels(labels: Readonly<Record<string, string>>, names: readonly string[], without: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (without) {
    for (const k in labels) if (!names.includes(k)) out[k] = labels[k] as string;
  } else {
    for (const n of names) {
      const v = labels[n];
      if (v !== undefined && v !== "") out[n] = v;
    }
  }
  return out;
}
