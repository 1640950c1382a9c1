// Source `kubernetes`: container logs from the node (CRI/Docker files) with pod metadata from the path.

import { z } from "zod";
import type { SourceDefinition } from "../../contracts.js";
import { FileTailer } from "../file/file-tailer.js";
import { tailOptionsShape } from "../file/index.js";
import { multilineSchema } from "../file/line-framer.js";
import { ContainerFramer } from "./container-framer.js";
import { kubernetesPathInfo } from "./kubernetes-path.js";

export const kubernetesSourceSchema = z
  .strictObject({
    include: z
      .array(z.string())
      .min(1)
      .default(["/var/log/containers/*.log"])
      .describe("Container log globs (default /var/log/containers/*.log; /var/log/pods/*/*/*.log works too)."),
    ...tailOptionsShape,
    start_at: z.enum(["beginning", "end"]).default("beginning").describe("Where to start in files without a checkpoint at startup."),
    exclude_namespaces: z.array(z.string()).default([]).describe("Namespaces whose containers are skipped."),
    multiline: multilineSchema,
  })
  .describe("Kubernetes container logs.");
export type KubernetesSourceConfig = z.output<typeof kubernetesSourceSchema>;

export const kubernetesSource: SourceDefinition<KubernetesSourceConfig> = {
  type: "kubernetes",
  description: "Tails container logs written by the kubelet; joins CRI partial lines; adds namespace, pod, uid and container from the path.",
  configSchema: kubernetesSourceSchema,
  create(config, ctx) {
    const excluded = new Set(config.exclude_namespaces);
    const tailer = new FileTailer(
      {
        include: config.include,
        exclude: [...config.exclude, ...config.exclude_namespaces.flatMap((ns) => [`/var/log/containers/*_${ns}_*.log`, `/var/log/pods/${ns}_*/**`])],
        startAt: config.start_at,
        readSize: config.read_size,
        pollMs: config.poll_interval,
        rotateWaitMs: config.rotate_wait,
        maxLineBytes: config.max_line_size,
        multilineTimeoutMs: config.multiline.mode === "none" ? 5000 : config.multiline.timeout,
        framer: () => new ContainerFramer(config.max_line_size, config.multiline),
        enrich: (r, path) => {
          const k = kubernetesPathInfo(path);
          if (k !== undefined && !excluded.has(k.namespace)) {
            r.resource["k8s.namespace.name"] = k.namespace;
            r.resource["k8s.pod.name"] = k.pod;
            r.resource["k8s.container.name"] = k.container;
            if (k.uid !== undefined) r.resource["k8s.pod.uid"] = k.uid;
            if (k.containerId !== undefined) r.resource["container.id"] = k.containerId;
            r.labels = { namespace: k.namespace, ...config.labels, ...r.labels };
          } else if (Object.keys(config.labels).length > 0) r.labels = { ...config.labels, ...r.labels };
        },
      },
      ctx,
    );
    return { start: () => tailer.start(), stop: () => tailer.stop() };
  },
};
