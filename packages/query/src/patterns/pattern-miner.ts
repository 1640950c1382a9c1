// Streaming Drain-style template miner: a fixed-depth prefix tree by line shape and leading values, similarity
// matching against the templates of a leaf, wildcard merge, LRU-bounded template count, per-step sample buckets.

import { MeshlogError } from "@meshlog/core";
import { QueryErrors } from "../errors.js";
import { WILDCARD, emptyTokenized, hasDigit, tokenizeLine, type TokenizedLine } from "./line-tokenizer.js";

export interface PatternMinerOptions {
  /** Tree depth as in Drain: root, shape layer, then `depth - 2` layers of leading values. At least 3. */
  readonly depth: number;
  /** Share of informative positions that must be equal for a line to join a template, 0..1. */
  readonly similarity: number;
  /** Most children of one tree node; further values share the wildcard branch. */
  readonly maxChildren: number;
  /** Most templates kept; the least recently used one is evicted beyond it. */
  readonly maxClusters: number;
  /**
   * Most templates in one tree leaf (the candidates a line is compared with); the leaf's least recently used one
   * is evicted beyond it. Bounds the work per line when hostile lines share a shape and prefix but never match.
   */
  readonly maxClustersPerLeaf: number;
  /** Most values per line; the rest of a longer line becomes one trailing `<_>`. */
  readonly maxTokens: number;
  /** Characters of a line looked at; the rest becomes one trailing `<_>`. */
  readonly maxLineLength: number;
  /** Width of a sample bucket, nanoseconds (at least 1 ms). Buckets are aligned to multiples of it. */
  readonly stepNs: bigint;
  /** Most sample buckets per template; the oldest bucket is dropped beyond it. */
  readonly maxSamplesPerTemplate: number;
}

export const DEFAULT_MINER_OPTIONS: PatternMinerOptions = {
  depth: 4,
  similarity: 0.5,
  maxChildren: 100,
  maxClusters: 1000,
  maxClustersPerLeaf: 32,
  maxTokens: 100,
  maxLineLength: 4096,
  stepNs: 10_000_000_000n,
  maxSamplesPerTemplate: 11_000,
};

/** One mined template. `samples` are [bucket start ns, lines] in time order. */
export interface Pattern {
  readonly id: number;
  readonly pattern: string;
  readonly count: number;
  readonly samples: [bigint, number][];
}

interface TreeNode {
  readonly children: Map<string, TreeNode>;
  /** Templates ending here (leaf nodes only). */
  readonly clusters: Cluster[];
  /** Templates below this node; a node reaching 0 is removed from its parent. */
  live: number;
  readonly parent: TreeNode | undefined;
  readonly key: string;
}

interface Cluster {
  readonly id: number;
  readonly values: string[];
  readonly seps: readonly string[];
  readonly trailing: string;
  /** Positions of `values` that are WILDCARD. */
  wildcards: number;
  count: number;
  /** Line number of its latest line (for eviction within a leaf). */
  usedAt: number;
  readonly buckets: Map<number, number>;
  readonly leaf: TreeNode;
  /** Top node in the shape layer map (root child) and its key, for removal. */
  readonly shapeKey: number;
  text: string | undefined;
}

function newNode(parent: TreeNode | undefined, key: string): TreeNode {
  return { children: new Map(), clusters: [], live: 0, parent, key };
}

function checkOptions(o: PatternMinerOptions): void {
  const bad = (name: string, why: string): never => {
    throw new MeshlogError(QueryErrors.QUERY_PARAM_INVALID, `invalid pattern miner option ${name}: ${why}`);
  };
  const int = (name: keyof PatternMinerOptions, min: number): void => {
    const v = o[name] as number;
    if (!Number.isInteger(v) || v < min) bad(name, `must be an integer >= ${min}, got ${String(v)}`);
  };
  int("depth", 3);
  int("maxChildren", 2);
  int("maxClusters", 1);
  int("maxClustersPerLeaf", 1);
  int("maxTokens", 1);
  int("maxLineLength", 1);
  int("maxSamplesPerTemplate", 1);
  if (!(o.similarity >= 0 && o.similarity <= 1)) bad("similarity", `must be within 0..1, got ${String(o.similarity)}`);
  if (typeof o.stepNs !== "bigint" || o.stepNs < 1_000_000n) bad("stepNs", `must be at least 1 ms, got ${String(o.stepNs)}`);
}

/**
 * Mines templates from lines as they arrive. Memory is bounded: at most `maxClusters` templates (least recently
 * used evicted, with their tree branches), each with at most `maxSamplesPerTemplate` buckets, and every line is
 * looked at for at most `maxLineLength` characters and `maxTokens` values. Work per line is bounded too: it is
 * compared with at most `maxClustersPerLeaf` templates. Results depend only on the input order.
 */
export class PatternMiner {
  readonly options: PatternMinerOptions;
  readonly #shapes = new Map<number, TreeNode>();
  /** Templates by id in least-recently-used-first order. */
  readonly #lru = new Map<number, Cluster>();
  readonly #tok: TokenizedLine = emptyTokenized();
  readonly #prefixLayers: number;
  #nextId = 1;
  #evicted = 0;
  #lines = 0;
  #bucketLo = 1n;
  #bucketHi = 0n;
  #bucket = 0;

  constructor(options: Partial<PatternMinerOptions> = {}) {
    this.options = { ...DEFAULT_MINER_OPTIONS, ...options };
    checkOptions(this.options);
    this.#prefixLayers = this.options.depth - 2;
  }

  /** Lines added so far. */
  get lines(): number {
    return this.#lines;
  }

  /** Templates evicted so far (their lines are no longer counted anywhere). */
  get evicted(): number {
    return this.#evicted;
  }

  /** Templates currently held. */
  get size(): number {
    return this.#lru.size;
  }

  /** Adds one line seen at `tsNs`; returns the id of the template it joined or started. */
  add(line: string, tsNs: bigint): number {
    this.#lines++;
    const o = this.options;
    const tok = tokenizeLine(line, o, this.#tok);
    const shapeKey = tok.shapeA * 2_097_152 + (tok.shapeB & 0x1fffff);
    let cluster = this.#search(tok, shapeKey);
    if (cluster === undefined) cluster = this.#create(tok, shapeKey);
    else {
      this.#merge(cluster, tok.values);
      this.#lru.delete(cluster.id);
      this.#lru.set(cluster.id, cluster);
    }
    cluster.count++;
    cluster.usedAt = this.#lines;
    const b = this.#bucketOf(tsNs);
    const prev = cluster.buckets.get(b);
    if (prev !== undefined) cluster.buckets.set(b, prev + 1);
    else {
      cluster.buckets.set(b, 1);
      if (cluster.buckets.size > o.maxSamplesPerTemplate) {
        let oldest = b;
        for (const k of cluster.buckets.keys()) if (k < oldest) oldest = k;
        cluster.buckets.delete(oldest);
      }
    }
    return cluster.id;
  }

  /** Bucket index of a timestamp (floor division by the step), with the last bucket's bounds cached. */
  #bucketOf(tsNs: bigint): number {
    if (tsNs >= this.#bucketLo && tsNs < this.#bucketHi) return this.#bucket;
    const step = this.options.stepNs;
    let q = tsNs / step;
    if (tsNs < 0n && tsNs % step !== 0n) q -= 1n;
    this.#bucketLo = q * step;
    this.#bucketHi = this.#bucketLo + step;
    this.#bucket = Number(q);
    return this.#bucket;
  }

  /** The template text of an id still held, or undefined. */
  templateOf(id: number): string | undefined {
    const c = this.#lru.get(id);
    return c === undefined ? undefined : render(c);
  }

  /** Templates held, most lines first (ties: lower id first). */
  templates(): Pattern[] {
    const step = this.options.stepNs;
    const out: Pattern[] = [];
    for (const c of this.#lru.values()) {
      const keys = [...c.buckets.keys()].sort((a, b) => a - b);
      out.push({ id: c.id, pattern: render(c), count: c.count, samples: keys.map((k) => [BigInt(k) * step, c.buckets.get(k) as number]) });
    }
    return out.sort((a, b) => b.count - a.count || a.id - b.id);
  }

  #search(tok: TokenizedLine, shapeKey: number): Cluster | undefined {
    let node = this.#shapes.get(shapeKey);
    if (node === undefined) return undefined;
    const values = tok.values;
    const layers = Math.min(this.#prefixLayers, values.length);
    for (let d = 0; d < layers; d++) {
      const v = values[d] as string;
      const next: TreeNode | undefined = (v !== WILDCARD && !hasDigit(v) ? node.children.get(v) : undefined) ?? node.children.get(WILDCARD);
      if (next === undefined) return undefined;
      node = next;
    }
    let best: Cluster | undefined;
    let bestSim = -1;
    for (const c of node.clusters) {
      const sim = similarity(c, values);
      if (sim > bestSim || (sim === bestSim && best !== undefined && c.wildcards > best.wildcards)) {
        best = c;
        bestSim = sim;
      }
    }
    return best !== undefined && bestSim >= this.options.similarity ? best : undefined;
  }

  #create(tok: TokenizedLine, shapeKey: number): Cluster {
    const o = this.options;
    let node = this.#shapes.get(shapeKey);
    if (node === undefined) {
      node = newNode(undefined, "");
      this.#shapes.set(shapeKey, node);
    }
    const values = tok.values.slice();
    const layers = Math.min(this.#prefixLayers, values.length);
    for (let d = 0; d < layers; d++) {
      const v = values[d] as string;
      let key = v !== WILDCARD && !hasDigit(v) ? v : WILDCARD;
      if (key !== WILDCARD && !node.children.has(key) && node.children.size >= o.maxChildren - 1) key = WILDCARD;
      let next = node.children.get(key);
      if (next === undefined) {
        next = newNode(node, key);
        node.children.set(key, next);
      }
      node = next;
    }
    let wildcards = 0;
    for (const v of values) if (v === WILDCARD) wildcards++;
    const cluster: Cluster = {
      id: this.#nextId++,
      values,
      seps: tok.seps.slice(),
      trailing: tok.trailing,
      wildcards,
      count: 0,
      usedAt: this.#lines,
      buckets: new Map(),
      leaf: node,
      shapeKey,
      text: undefined,
    };
    node.clusters.push(cluster);
    for (let n: TreeNode | undefined = node; n !== undefined; n = n.parent) n.live++;
    this.#lru.set(cluster.id, cluster);
    if (node.clusters.length > o.maxClustersPerLeaf) {
      let stale = node.clusters[0] as Cluster;
      for (const c of node.clusters) if (c.usedAt < stale.usedAt) stale = c;
      this.#evict(stale);
    }
    if (this.#lru.size > o.maxClusters) {
      const oldest = this.#lru.values().next().value as Cluster;
      this.#evict(oldest);
    }
    return cluster;
  }

  #merge(c: Cluster, values: readonly string[]): void {
    const t = c.values;
    for (let i = 0; i < t.length; i++) {
      if (t[i] !== WILDCARD && t[i] !== values[i]) {
        t[i] = WILDCARD;
        c.wildcards++;
        c.text = undefined;
      }
    }
  }

  #evict(c: Cluster): void {
    this.#lru.delete(c.id);
    this.#evicted++;
    const leaf = c.leaf;
    const at = leaf.clusters.indexOf(c);
    if (at >= 0) leaf.clusters.splice(at, 1);
    for (let n: TreeNode | undefined = leaf; n !== undefined; n = n.parent) {
      n.live--;
      if (n.live === 0) {
        if (n.parent !== undefined) n.parent.children.delete(n.key);
        else this.#shapes.delete(c.shapeKey);
      }
    }
  }
}

/**
 * Share of informative positions where the template equals the line. A position where the template is `<_>`
 * and the line holds a masked variable says nothing and is skipped; a template `<_>` against a literal counts
 * as a difference (Drain's rule), so over-general templates attract fewer lines.
 */
function similarity(c: Cluster, values: readonly string[]): number {
  const t = c.values;
  let same = 0;
  let informative = 0;
  for (let i = 0; i < t.length; i++) {
    const a = t[i];
    const b = values[i];
    if (a === WILDCARD) {
      if (b !== WILDCARD) informative++;
      continue;
    }
    informative++;
    if (a === b) same++;
  }
  return informative === 0 ? 1 : same / informative;
}

function render(c: Cluster): string {
  if (c.text !== undefined) return c.text;
  let s = "";
  for (let i = 0; i < c.values.length; i++) s += (c.seps[i] as string) + (c.values[i] as string);
  s += c.trailing;
  c.text = s;
  return s;
}
