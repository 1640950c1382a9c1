// Agent self-monitoring counters and gauges, rendered in the Prometheus text exposition format.

type LabelSet = Readonly<Record<string, string>>;

interface Family {
  readonly type: "counter" | "gauge";
  readonly help: string;
  readonly values: Map<string, { labels: LabelSet; value: number }>;
}

function labelKey(labels: LabelSet): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ""}`)
    .join(",");
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Metric names are fixed at the call site; every family is declared with its help text on first use. */
export class Metrics {
  readonly #families = new Map<string, Family>();

  #family(name: string, type: "counter" | "gauge", help: string): Family {
    let f = this.#families.get(name);
    if (f === undefined) {
      f = { type, help, values: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }

  /** Adds `by` (default 1) to a counter. */
  inc(name: string, help: string, labels: LabelSet = {}, by = 1): void {
    const f = this.#family(name, "counter", help);
    const k = labelKey(labels);
    const cur = f.values.get(k);
    if (cur === undefined) f.values.set(k, { labels, value: by });
    else cur.value += by;
  }

  set(name: string, help: string, labels: LabelSet, value: number): void {
    this.#family(name, "gauge", help).values.set(labelKey(labels), { labels, value });
  }

  /** Current value (0 when never touched); used by tests and /health. */
  get(name: string, labels: LabelSet = {}): number {
    return this.#families.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  /** Sum over all label sets of a family. */
  sum(name: string): number {
    let n = 0;
    for (const v of this.#families.get(name)?.values.values() ?? []) n += v.value;
    return n;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of [...this.#families].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const { labels, value } of f.values.values()) {
        const ls = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        out.push(`${name}${ls.length > 0 ? `{${ls.join(",")}}` : ""} ${value}`);
      }
    }
    return out.join("\n") + "\n";
  }
}

/** Metric names used across the agent, in one place so dashboards and tests agree. */
export const M = {
  sourceRecords: ["meshlog_agent_source_records_total", "Records read by a source."],
  sourceDropped: ["meshlog_agent_source_dropped_total", "Records a source could not accept (UDP datagrams while the buffer was full)."],
  sourceErrors: ["meshlog_agent_source_errors_total", "Source errors (unreadable files, bad requests)."],
  bufferBytes: ["meshlog_agent_buffer_bytes", "Bytes held by the disk buffer."],
  bufferFull: ["meshlog_agent_buffer_full", "1 while the disk buffer is at its size cap."],
  bufferBlocked: ["meshlog_agent_buffer_blocked_total", "Writes that waited because the disk buffer was full."],
  bufferDropped: ["meshlog_agent_buffer_dropped_records_total", "Records dropped by the drop_oldest policy."],
  bufferCorrupt: ["meshlog_agent_buffer_corrupt_frames_total", "Torn or corrupt buffer frames found at startup."],
  transformDropped: ["meshlog_agent_transform_dropped_total", "Records removed by transforms (drop, sample)."],
  sinkDelivered: ["meshlog_agent_sink_delivered_records_total", "Records a sink delivered."],
  sinkRejected: ["meshlog_agent_sink_rejected_records_total", "Records a sink's destination rejected (logged, not retried)."],
  sinkRetries: ["meshlog_agent_sink_retries_total", "Send attempts that failed and will be retried."],
  sinkErrors: ["meshlog_agent_sink_loop_errors_total", "Unexpected errors in a sink loop (it resumes)."],
  sinkRequests: ["meshlog_agent_sink_requests_total", "Requests sent by a sink."],
} as const satisfies Record<string, readonly [string, string]>;
