// Deterministic labelled log lines for pattern-mining accuracy tests and benchmarks: Envoy/Istio, Linkerd, kubelet,
// HDFS-like, OpenSSH-like, Apache error-like, JSON and logfmt application logs, each line tagged with its template.

/** One generated line and the name of the ground-truth template it was generated from. */
export interface LabelledLine {
  readonly line: string;
  readonly template: string;
  readonly tsNs: bigint;
}

/** Small seeded PRNG (mulberry32) so every run sees the same lines. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Gen = (r: Rand) => string;

class Rand {
  readonly #next: () => number;
  tsMs = 0;
  constructor(seed: number) {
    this.#next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }
  ip(): string {
    return `10.${this.int(256)}.${this.int(256)}.${1 + this.int(254)}`;
  }
  port(): number {
    return 1024 + this.int(60000);
  }
  iso(): string {
    return new Date(this.tsMs).toISOString();
  }
  pod(): string {
    return `${this.pick(SERVICES)}-${this.hex(9)}-${this.hex(5)}`;
  }
}

const SERVICES = ["checkout", "payments", "cart", "catalog", "auth", "shipping", "frontend", "search", "inventory", "email"];
const PATHS = ["/api/v1/orders", "/api/v1/cart/items", "/healthz", "/api/v2/search", "/login", "/api/v1/payments/charge", "/static/app.js", "/users/me"];
const UAS = ["Go-http-client/1.1", "okhttp/4.9.3", "curl/7.88.1", "python-requests/2.31", "grpc-go/1.60.1", "Envoy/HC"];
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "root", "admin", "deploy"];
const NAMESPACES = ["default", "payments", "kube-system", "istio-system", "shop", "monitoring"];
const CONTAINERS = ["app", "istio-proxy", "linkerd-proxy", "sidecar", "worker", "migrate"];
const HOSTS = ["bastion-1", "bastion-2", "web-03", "db-primary", "build-runner"];
const FILES = ["favicon.ico", "robots.txt", "admin.php", "wp-login.php", "index.bak", "old/index.html"];
const CACHE_KEYS = ["user:profile", "cart:items", "catalog:page", "session:token", "price:list"];

const pad = (n: number, w: number): string => String(n).padStart(w, "0");
const klogHeader = (r: Rand, sev: string): string => {
  const d = new Date(r.tsMs);
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(r.int(1_000_000), 6)}`;
  return `${sev}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)} ${time} ${String(1 + r.int(4000)).padStart(7, " ")}`;
};
const syslogHeader = (r: Rand): string => {
  const d = new Date(r.tsMs);
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return `Jun ${String(d.getUTCDate()).padStart(2, " ")} ${time} ${r.pick(HOSTS)} sshd[${1000 + r.int(60000)}]:`;
};
const apacheHeader = (r: Rand, level: string): string => {
  const d = new Date(r.tsMs);
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return `[Sun Jun ${pad(d.getUTCDate(), 2)} ${time} 2025] [${level}]`;
};
const hdfsHeader = (r: Rand, level: string): string => {
  const d = new Date(r.tsMs);
  return `250615 ${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)} ${1 + r.int(3000)} ${level}`;
};
const linkerdHeader = (r: Rand, level: string): string =>
  `[${String((r.int(9_000_000) / 1000).toFixed(6)).padStart(14, " ")}s]  ${level} ThreadId(0${1 + r.int(4)})`;
const blk = (r: Rand): string => `blk_${r.int(2) === 0 ? "-" : ""}${1_000_000_000 + r.int(2_000_000_000)}${r.int(1_000_000_000)}`;
const envoyText = (r: Rand, method: string): string =>
  `[${r.iso()}] "${method} ${r.pick(PATHS)} HTTP/1.1" ${r.pick([200, 200, 201, 204, 404, 500])} - via_upstream - "-" ${r.int(4000)} ${r.int(20000)} ${r.int(900)} ${r.int(900)} "${r.ip()}" "${r.pick(UAS)}" "${r.uuid()}" "${r.pick(SERVICES)}.prod.svc:8080" "${r.ip()}:8080" outbound|8080||${r.pick(SERVICES)}.prod.svc.cluster.local ${r.ip()}:${r.port()} ${r.ip()}:8080 ${r.ip()}:${r.port()} - default`;

/** Ground-truth templates: name, relative weight, generator. */
export const FIXTURE_TEMPLATES: readonly (readonly [string, number, Gen])[] = [
  ["envoy-get", 8, (r) => envoyText(r, "GET")],
  ["envoy-post", 4, (r) => envoyText(r, "POST")],
  [
    "envoy-connect-failure",
    2,
    (r) =>
      `[${r.iso()}] "POST ${r.pick(PATHS)} HTTP/2" 503 UF upstream_reset_before_response_started{connection_failure} - "-" ${r.int(900)} 91 ${r.int(50)} - "-" "${r.pick(UAS)}" "${r.uuid()}" "${r.pick(SERVICES)}:9080" "${r.ip()}:9080" outbound|9080||${r.pick(SERVICES)}.default.svc.cluster.local - ${r.ip()}:9080 ${r.ip()}:${r.port()} - default`,
  ],
  [
    "istio-json-get",
    6,
    (r) =>
      JSON.stringify({
        start_time: r.iso(),
        method: "GET",
        path: r.pick(PATHS),
        protocol: "HTTP/1.1",
        response_code: r.pick([200, 200, 304, 404]),
        response_flags: "-",
        bytes_received: 0,
        bytes_sent: r.int(90000),
        duration: r.int(900),
        upstream_host: `${r.ip()}:8080`,
        authority: `${r.pick(SERVICES)}:8080`,
        request_id: r.uuid(),
        upstream_cluster: `outbound|8080||${r.pick(SERVICES)}.prod.svc.cluster.local`,
      }),
  ],
  [
    "linkerd-conn-closed",
    4,
    (r) =>
      `${linkerdHeader(r, "INFO")} inbound:server{port=8080}: linkerd_app_core::serve: Connection closed error=connection reset by peer (os error 104) client.addr=${r.ip()}:${r.port()}`,
  ],
  [
    "linkerd-connect-failed",
    3,
    (r) => `${linkerdHeader(r, "WARN")} outbound:proxy{addr=${r.ip()}:8080}: linkerd_reconnect: Failed to connect error=Connection refused (os error 111)`,
  ],
  ["linkerd-sigterm", 1, (r) => `${linkerdHeader(r, "INFO")} linkerd_proxy::signal: received SIGTERM, starting shutdown`],
  [
    "kubelet-pleg",
    4,
    (r) =>
      `${klogHeader(r, "I")} kubelet.go:2086] "SyncLoop (PLEG): event for pod" pod="${r.pick(NAMESPACES)}/${r.pod()}" event={"ID":"${r.uuid()}","Type":"ContainerStarted","Data":"${r.hex(64)}"}`,
  ],
  [
    "kubelet-probe-failed",
    3,
    (r) =>
      `${klogHeader(r, "I")} prober.go:107] "Probe failed" probeType="Readiness" pod="${r.pick(NAMESPACES)}/${r.pod()}" podUID="${r.uuid()}" containerName="${r.pick(CONTAINERS)}" probeResult="failure" output="Get \\"http://${r.ip()}:8080/healthz\\": dial tcp ${r.ip()}:8080: connect: connection refused"`,
  ],
  [
    "kubelet-orphan-volumes",
    2,
    (r) =>
      `${klogHeader(r, "I")} kubelet_volumes.go:160] "Cleaned up orphaned pod volumes dir" podUID="${r.uuid()}" path="/var/lib/kubelet/pods/${r.uuid()}/volumes"`,
  ],
  [
    "kubelet-sync-error",
    2,
    (r) =>
      `${klogHeader(r, "E")} pod_workers.go:1298] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" with CrashLoopBackOff" pod="${r.pick(NAMESPACES)}/${r.pod()}" podUID="${r.uuid()}"`,
  ],
  [
    "hdfs-receiving",
    5,
    (r) => `${hdfsHeader(r, "INFO")} dfs.DataNode$DataXceiver: Receiving block ${blk(r)} src: /${r.ip()}:${r.port()} dest: /${r.ip()}:50010`,
  ],
  [
    "hdfs-responder-terminating",
    5,
    (r) => `${hdfsHeader(r, "INFO")} dfs.DataNode$PacketResponder: PacketResponder ${r.int(3)} for block ${blk(r)} terminating`,
  ],
  [
    "hdfs-added-to",
    5,
    (r) =>
      `${hdfsHeader(r, "INFO")} dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: ${r.ip()}:50010 is added to ${blk(r)} size ${r.int(67108864)}`,
  ],
  ["hdfs-received", 5, (r) => `${hdfsHeader(r, "INFO")} dfs.DataNode$PacketResponder: Received block ${blk(r)} of size ${r.int(67108864)} from /${r.ip()}`],
  ["hdfs-exception", 1, (r) => `${hdfsHeader(r, "WARN")} dfs.DataNode$DataXceiver: ${r.ip()}:50010:Got exception while serving ${blk(r)} to /${r.ip()}:`],
  ["hdfs-served", 4, (r) => `${hdfsHeader(r, "INFO")} dfs.DataNode$DataXceiver: ${r.ip()}:50010 Served block ${blk(r)} to /${r.ip()}`],
  ["hdfs-starting-transfer", 1, (r) => `${hdfsHeader(r, "INFO")} dfs.DataNode: ${r.ip()}:50010 Starting thread to transfer block ${blk(r)} to ${r.ip()}:50010`],
  ["hdfs-invalid-set", 2, (r) => `${hdfsHeader(r, "INFO")} dfs.FSNamesystem: BLOCK* NameSystem.delete: ${blk(r)} is added to invalidSet of ${r.ip()}:50010`],
  [
    "hdfs-deleting",
    2,
    (r) => `${hdfsHeader(r, "INFO")} dfs.FSDataset: Deleting block ${blk(r)} file /mnt/hadoop/dfs/data/current/subdir${r.int(64)}/${blk(r)}`,
  ],
  ["hdfs-verification", 1, (r) => `${hdfsHeader(r, "INFO")} dfs.DataBlockScanner: Verification succeeded for ${blk(r)}`],
  // One template with a variable-length list of blocks: lines of different lengths land in different clusters.
  [
    "hdfs-ask-delete",
    1,
    (r) => `${hdfsHeader(r, "INFO")} dfs.FSNamesystem: BLOCK* ask ${r.ip()}:50010 to delete ${Array.from({ length: 1 + r.int(2) }, () => blk(r)).join(" ")}`,
  ],
  [
    "hdfs-allocate",
    2,
    (r) =>
      `${hdfsHeader(r, "INFO")} dfs.FSNamesystem: BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/_task_200811092030_0001_m_${pad(r.int(2000), 6)}_0/part-${pad(r.int(2000), 5)}. ${blk(r)}`,
  ],
  [
    "ssh-accepted",
    3,
    (r) =>
      `${syslogHeader(r)} Accepted publickey for ${r.pick(USERS)} from ${r.ip()} port ${r.port()} ssh2: RSA SHA256:${r.hex(20)}${r.pick(["Zx", "Qk", "Ab"])}`,
  ],
  ["ssh-failed-invalid", 4, (r) => `${syslogHeader(r)} Failed password for invalid user ${r.pick(USERS)} from ${r.ip()} port ${r.port()} ssh2`],
  ["ssh-failed", 3, (r) => `${syslogHeader(r)} Failed password for ${r.pick(USERS)} from ${r.ip()} port ${r.port()} ssh2`],
  ["ssh-session-opened", 3, (r) => `${syslogHeader(r)} pam_unix(sshd:session): session opened for user ${r.pick(USERS)} by (uid=0)`],
  [
    "ssh-pam-auth-failure",
    3,
    (r) => `${syslogHeader(r)} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${r.ip()}  user=${r.pick(USERS)}`,
  ],
  ["ssh-userauth-invalid", 2, (r) => `${syslogHeader(r)} input_userauth_request: invalid user ${r.pick(USERS)} [preauth]`],
  ["ssh-invalid-user", 2, (r) => `${syslogHeader(r)} Invalid user ${r.pick(USERS)} from ${r.ip()}`],
  [
    "ssh-message-repeated",
    1,
    (r) => `${syslogHeader(r)} message repeated ${2 + r.int(5)} times: [ Failed password for root from ${r.ip()} port ${r.port()} ssh2]`,
  ],
  [
    "ssh-reverse-mapping",
    2,
    (r) =>
      `${syslogHeader(r)} reverse mapping checking getaddrinfo for ${r.int(250)}-${r.int(250)}.static.example.net [${r.ip()}] failed - POSSIBLE BREAK-IN ATTEMPT!`,
  ],
  // Two templates that differ in one constant word: a Drain-style miner is expected to merge them.
  ["ssh-too-many-admin", 1, (r) => `${syslogHeader(r)} Disconnecting: Too many authentication failures for admin [preauth]`],
  ["ssh-too-many-root", 1, (r) => `${syslogHeader(r)} Disconnecting: Too many authentication failures for root [preauth]`],
  ["ssh-disconnect", 2, (r) => `${syslogHeader(r)} Received disconnect from ${r.ip()} port ${r.port()}:11: Bye Bye [preauth]`],
  ["ssh-closed-preauth", 2, (r) => `${syslogHeader(r)} Connection closed by authenticating user ${r.pick(USERS)} ${r.ip()} port ${r.port()} [preauth]`],
  ["apache-not-exist", 3, (r) => `${apacheHeader(r, "error")} [client ${r.ip()}] File does not exist: /var/www/html/${r.pick(FILES)}`],
  ["apache-jk2-found", 3, (r) => `${apacheHeader(r, "notice")} jk2_init() Found child ${1000 + r.int(30000)} in scoreboard slot ${r.int(12)}`],
  ["apache-workerenv-ok", 2, (r) => `${apacheHeader(r, "notice")} workerEnv.init() ok /etc/httpd/conf/workers2.properties`],
  ["apache-mod-jk-error", 2, (r) => `${apacheHeader(r, "error")} mod_jk child workerEnv in error state ${1 + r.int(9)}`],
  [
    "json-request-completed",
    6,
    (r) =>
      JSON.stringify({
        ts: r.iso(),
        level: "info",
        logger: "http",
        msg: "request completed",
        method: r.pick(["GET", "POST", "PUT"]),
        path: r.pick(PATHS),
        status: r.pick([200, 201, 400, 500]),
        duration_ms: r.int(2000),
        trace_id: r.hex(32),
      }),
  ],
  [
    "json-query-failed",
    2,
    (r) => JSON.stringify({ ts: r.iso(), level: "error", logger: "db", msg: "query failed", error: `timeout after ${r.int(5000)}ms`, query_id: r.uuid() }),
  ],
  ["json-user-login", 3, (r) => JSON.stringify({ ts: r.iso(), level: "info", logger: "auth", msg: "user logged in", user: r.pick(USERS), session: r.hex(16) })],
  [
    "json-cache-miss",
    3,
    (r) => JSON.stringify({ ts: r.iso(), level: "warn", logger: "cache", msg: "cache miss", key: `${r.pick(CACHE_KEYS)}:${r.int(100000)}` }),
  ],
  ["logfmt-grpc", 4, (r) => `ts=${r.iso()} caller=grpc_logging.go:66 level=info method=/cortex.Ingester/Push duration=${r.int(900)}.${r.int(999)}ms msg=gRPC`],
  [
    "logfmt-retry",
    2,
    (r) =>
      `level=warn ts=${r.iso()} caller=retry.go:45 component=${r.pick(["compactor", "ruler", "querier"])} msg="retrying after error" attempt=${1 + r.int(5)} err="context deadline exceeded"`,
  ],
];

/**
 * `count` labelled lines drawn from FIXTURE_TEMPLATES by weight, with timestamps rising from `startMs` over
 * about two hours. Same arguments, same lines.
 */
export function generateFixtureLines(count: number, seed = 7, startMs = Date.UTC(2025, 5, 15, 10, 0, 0)): LabelledLine[] {
  const r = new Rand(seed);
  const total = FIXTURE_TEMPLATES.reduce((n, t) => n + t[1], 0);
  const out: LabelledLine[] = [];
  const spanMs = 2 * 3600 * 1000;
  for (let i = 0; i < count; i++) {
    r.tsMs = startMs + Math.floor((i * spanMs) / Math.max(1, count));
    let k = r.int(total);
    let chosen = FIXTURE_TEMPLATES[0] as (typeof FIXTURE_TEMPLATES)[number];
    for (const t of FIXTURE_TEMPLATES) {
      if (k < t[1]) {
        chosen = t;
        break;
      }
      k -= t[1];
    }
    out.push({ line: chosen[2](r), template: chosen[0], tsNs: BigInt(r.tsMs) * 1_000_000n });
  }
  return out;
}
