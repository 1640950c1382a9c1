// Validates deploy/: Kubernetes manifests (DaemonSet, RBAC, ConfigMap) and the systemd unit parse and agree.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { parseConfigText } from "../config/load-config.js";
import { REGISTRIES } from "../main.js";

const root = new URL("../../../../deploy/", import.meta.url);
const read = (p: string): string => readFileSync(new URL(p, root), "utf8");

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

function docs(file: string): Obj[] {
  return parseAllDocuments(read(file)).map((d) => {
    assert.deepEqual(d.errors, [], `${file} is valid YAML`);
    return d.toJS() as Obj;
  });
}

const all = ["kubernetes/rbac.yaml", "kubernetes/configmap.yaml", "kubernetes/daemonset.yaml"].flatMap(docs);
const byKind = (kind: string): Obj[] => all.filter((o) => o.kind === kind);
const get = (o: unknown, path: string): unknown => path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

test("every manifest has apiVersion, kind and a name; the expected kinds are all present", () => {
  for (const o of all) {
    assert.equal(typeof o.apiVersion, "string");
    assert.equal(typeof o.metadata.name, "string");
  }
  for (const kind of ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet"]) assert.equal(byKind(kind).length, 1, kind);
});

test("RBAC is read-only and bound to the DaemonSet's service account", () => {
  const role = byKind("ClusterRole")[0];
  const verbs = ((role?.rules as { verbs: string[] }[]) ?? []).flatMap((r) => r.verbs);
  assert.ok(verbs.length > 0 && verbs.every((v) => ["get", "list", "watch"].includes(v)), `read-only verbs: ${verbs.join(",")}`);
  const binding = byKind("ClusterRoleBinding")[0];
  const ds = byKind("DaemonSet")[0];
  const sa = byKind("ServiceAccount")[0];
  assert.equal(get(binding, "roleRef.name"), role?.metadata.name);
  assert.deepEqual(get(binding, "subjects"), [{ kind: "ServiceAccount", name: sa?.metadata.name, namespace: sa?.metadata.namespace }]);
  assert.equal(get(ds, "spec.template.spec.serviceAccountName"), sa?.metadata.name);
});

test("the DaemonSet mounts host log folders read-only, a persistent data dir, and every mount has a volume", () => {
  const ds = byKind("DaemonSet")[0];
  const spec = get(ds, "spec.template.spec") as {
    containers: { volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]; args: string[] }[];
    volumes: { name: string; hostPath?: { path: string } }[];
  };
  assert.deepEqual(get(ds, "spec.selector.matchLabels"), get(ds, "spec.template.metadata.labels"));
  const c = spec.containers[0];
  assert.ok(c);
  assert.deepEqual(c.args.slice(0, 1), ["agent"]);
  const volumes = new Map(spec.volumes.map((v) => [v.name, v]));
  for (const m of c.volumeMounts) assert.ok(volumes.has(m.name), `volume ${m.name} exists`);
  const hostMount = (path: string) => c.volumeMounts.find((m) => volumes.get(m.name)?.hostPath?.path === path);
  for (const p of ["/var/log/containers", "/var/log/pods"]) assert.equal(hostMount(p)?.readOnly, true, `${p} read-only hostPath`);
  assert.equal(hostMount("/var/lib/meshlog-agent")?.mountPath, "/var/lib/meshlog-agent", "buffer and checkpoints survive pod restarts");
  assert.equal(get(c, "securityContext.readOnlyRootFilesystem"), true);
});

test("the ConfigMap's agent.yaml is a valid agent config, and the files it names are mounted", () => {
  const cm = byKind("ConfigMap")[0];
  const text = (get(cm, "data") as Record<string, unknown>)["agent.yaml"];
  assert.equal(typeof text, "string");
  const cfg = parseConfigText(text as string, "configmap agent.yaml", { POD_IP: "10.0.0.5", NODE_NAME: "n1" }, REGISTRIES);
  assert.equal(cfg.data_dir, "/var/lib/meshlog-agent");
  assert.equal(cfg.api.address, "10.0.0.5:8687");
  assert.equal(cfg.sources[0]?.type, "kubernetes");
  const ds = byKind("DaemonSet")[0];
  const mounts = (get(ds, "spec.template.spec.containers") as { volumeMounts: { mountPath: string }[] }[])[0]?.volumeMounts.map((m) => m.mountPath) ?? [];
  const sink = cfg.sinks[0]?.config as { token_file: string; tls: Record<string, string> };
  for (const f of [sink.token_file, sink.tls.ca, sink.tls.cert, sink.tls.key])
    assert.ok(
      mounts.some((m) => f?.startsWith(m + "/")),
      `${f} is under a mount`,
    );
  const port = (get(ds, "spec.template.spec.containers") as { ports: { containerPort: number }[] }[])[0]?.ports[0]?.containerPort;
  assert.equal(String(port), cfg.api.address.split(":")[1], "probes hit the agent's /health port");
});

test("the systemd unit runs the agent, checks the config first, reloads with SIGHUP and restarts", () => {
  const unit = read("systemd/meshlog-agent.service");
  const sections = new Map<string, Map<string, string[]>>();
  let cur: Map<string, string[]> | undefined;
  for (const raw of unit.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec !== null) {
      cur = new Map();
      sections.set(sec[1] as string, cur);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv !== null && cur !== undefined, `unit line "${line}" is key=value inside a section`);
    cur.set(kv[1] as string, [...(cur.get(kv[1] as string) ?? []), kv[2] as string]);
  }
  assert.deepEqual([...sections.keys()], ["Unit", "Service", "Install"]);
  const svc = sections.get("Service");
  assert.match(svc?.get("ExecStart")?.[0] ?? "", /meshlog agent --config \S+\.yaml$/);
  assert.match(svc?.get("ExecStartPre")?.[0] ?? "", /--check-config$/);
  assert.equal(svc?.get("ExecReload")?.[0], "/bin/kill -HUP $MAINPID");
  assert.equal(svc?.get("Restart")?.[0], "always");
  assert.equal(svc?.get("StateDirectory")?.[0], "meshlog-agent");
  assert.equal(sections.get("Install")?.get("WantedBy")?.[0], "multi-user.target");
  const example = parseConfigText(read("systemd/agent.example.yaml"), "agent.example.yaml", { MESHLOG_TOKEN: "x" }, REGISTRIES);
  assert.equal(example.data_dir, "/var/lib/meshlog-agent", "the example config keeps its data in the unit's StateDirectory");
  assert.deepEqual(
    example.sources.map((s) => s.type),
    ["file", "journald", "syslog"],
  );
});
