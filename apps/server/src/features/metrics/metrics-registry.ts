// A small Prometheus registry: counters and gauges with labels, rendered in the text exposition format.

type LabelValues = Record<string, string>;

const key = (labels: LabelValues): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");

class Family {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
  ) {}
}

export interface Counter {
  inc(labels?: LabelValues, by?: number): void;
}
export interface Gauge {
  set(labels: LabelValues, value: number): void;
}

export class MetricsRegistry {
  readonly #families = new Map<string, Family>();
  readonly #collectors: (() => void)[] = [];

  counter(name: string, help: string): Counter {
    const f = this.#family(name, help, "counter");
    return {
      inc: (labels = {}, by = 1) => {
        const k = key(labels);
        f.values.set(k, (f.values.get(k) ?? 0) + by);
      },
    };
  }

  gauge(name: string, help: string): Gauge {
    const f = this.#family(name, help, "gauge");
    return { set: (labels, value) => void f.values.set(key(labels), value) };
  }

  /** Registers a callback run before each render (to refresh gauges). */
  onCollect(fn: () => void): void {
    this.#collectors.push(fn);
  }

  render(): string {
    for (const c of this.#collectors) c();
    const out: string[] = [];
    for (const f of this.#families.values()) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const [k, v] of f.values) out.push(k === "" ? `${f.name} ${v}` : `${f.name}{${k}} ${v}`);
    }
    return out.join("\n") + "\n";
  }

  #family(name: string, help: string, type: "counter" | "gauge"): Family {
    let f = this.#families.get(name);
    if (f === undefined) this.#families.set(name, (f = new Family(name, help, type)));
    return f;
  }
}
