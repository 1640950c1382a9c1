// Grouping accuracy, the standard log-parsing metric (Zhu et al., "Tools and Benchmarks for Automated Log Parsing").

/**
 * Share of lines whose predicted group holds exactly the same set of lines as their ground-truth group.
 * `predicted[i]` and `truth[i]` are group keys of line i; the arrays must have the same length.
 * A line counts as correct only if every line sharing its predicted key shares its true key and vice versa.
 */
export function groupingAccuracy(predicted: readonly (string | number)[], truth: readonly (string | number)[]): number {
  if (predicted.length !== truth.length) throw new RangeError(`groupingAccuracy: ${predicted.length} predictions for ${truth.length} lines`);
  if (predicted.length === 0) return 1;
  const byPredicted = new Map<string | number, number[]>();
  predicted.forEach((p, i) => {
    const g = byPredicted.get(p);
    if (g === undefined) byPredicted.set(p, [i]);
    else g.push(i);
  });
  const truthSize = new Map<string | number, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  let correct = 0;
  for (const lines of byPredicted.values()) {
    const t0 = truth[lines[0] as number] as string | number;
    // The predicted group is exact when all its lines share one true key and that key has no other lines.
    if (lines.every((i) => truth[i] === t0) && truthSize.get(t0) === lines.length) correct += lines.length;
  }
  return correct / predicted.length;
}
