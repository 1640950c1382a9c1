// Test support: a real NATS JetStream cluster of N nats-server processes on 127.0.0.1 ephemeral ports, in a
// temp folder. Fails loudly (never skips) when nats-server is not installed.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Path of the nats-server binary; throws a clear error naming the Debian package when it is missing. */
export function requireNatsServer(): string {
  for (const bin of [process.env.MESHLOG_TEST_NATS_SERVER ?? "", "nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"]) {
    if (bin === "") continue;
    const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
    if (r.error === undefined && r.status === 0) return bin;
  }
  throw new Error(
    "nats-server is not installed: the ingest bus tests need a real NATS JetStream cluster (Debian package nats-server, 2.9 or later: apt-get install -y nats-server)",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

interface NatsNode {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly conf: string;
  proc: ChildProcess | undefined;
  output: string;
}

export class NatsTestCluster {
  readonly #dir: string;
  readonly #bin: string;
  readonly #nodes: NatsNode[];

  private constructor(dir: string, bin: string, nodes: NatsNode[]) {
    this.#dir = dir;
    this.#bin = bin;
    this.#nodes = nodes;
  }

  /** Writes the configs and starts `size` nodes (JetStream on, file storage under the temp folder; optional client token). */
  static async start(size = 3, opts: { token?: string } = {}): Promise<NatsTestCluster> {
    const bin = requireNatsServer();
    const dir = await mkdtemp(join(tmpdir(), "meshlog-nats-"));
    const ports: { port: number; clusterPort: number }[] = [];
    for (let i = 0; i < size; i++) ports.push({ port: await freePort(), clusterPort: await freePort() });
    const nodes: NatsNode[] = [];
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`;
      const routes = ports.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p.clusterPort}`);
      const p = ports[i] as { port: number; clusterPort: number };
      const conf = join(dir, `${name}.conf`);
      const text = [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${p.port}`,
        ...(opts.token !== undefined ? [`authorization { token: ${JSON.stringify(opts.token)} }`] : []),
        `jetstream {`,
        `  store_dir: ${JSON.stringify(join(dir, name))}`,
        `  max_memory_store: 67108864`,
        `  max_file_store: 1073741824`,
        `}`,
        ...(size > 1 ? [`cluster {`, `  name: meshlog_test`, `  listen: 127.0.0.1:${p.clusterPort}`, `  routes: [${routes.join(", ")}]`, `}`] : []),
        "",
      ].join("\n");
      await writeFile(conf, text);
      nodes.push({ name, port: p.port, clusterPort: p.clusterPort, conf, proc: undefined, output: "" });
    }
    const cluster = new NatsTestCluster(dir, bin, nodes);
    try {
      for (let i = 0; i < size; i++) cluster.#spawn(i);
      for (const n of nodes) {
        if (!(await waitForPort(n.port, 15_000))) throw new Error(`nats-server ${n.name} did not listen on 127.0.0.1:${n.port}:\n${n.output}`);
      }
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
    return cluster;
  }

  #spawn(i: number): void {
    const n = this.#nodes[i] as NatsNode;
    const proc = spawn(this.#bin, ["-c", n.conf], { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (b: Buffer): void => {
      n.output = (n.output + b.toString()).slice(-20_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    n.proc = proc;
  }

  /** Client URLs of all nodes (running or not). */
  get urls(): string[] {
    return this.#nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  }

  /** Server name of node i (as JetStream reports leaders). */
  nameOf(i: number): string {
    return (this.#nodes[i] as NatsNode).name;
  }

  indexOf(name: string): number {
    return this.#nodes.findIndex((n) => n.name === name);
  }

  /** Recent output of node i (for failure messages). */
  output(i: number): string {
    return (this.#nodes[i] as NatsNode).output;
  }

  /** Kills node i with SIGKILL (by the PID this cluster started) and waits for it to exit. */
  async kill(i: number): Promise<void> {
    const n = this.#nodes[i] as NatsNode;
    const proc = n.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    if (proc.pid !== undefined) process.kill(proc.pid, "SIGKILL");
    await exited;
    n.proc = undefined;
  }

  /** Starts node i again (same config and storage) and waits for its port. */
  async restart(i: number): Promise<void> {
    await this.kill(i);
    this.#spawn(i);
    const n = this.#nodes[i] as NatsNode;
    if (!(await waitForPort(n.port, 15_000))) throw new Error(`nats-server ${n.name} did not come back:\n${n.output}`);
  }

  /** Kills every node and removes the temp folder. */
  async dispose(): Promise<void> {
    for (let i = 0; i < this.#nodes.length; i++) await this.kill(i);
    await rm(this.#dir, { recursive: true, force: true });
  }
}
