// Sample value text as Prometheus/Loki print it (`+Inf`, `NaN`, shortest round-trip decimal).

export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
