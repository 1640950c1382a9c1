// Kubernetes metadata from container log paths (/var/log/pods/... and /var/log/containers/...).

/** Metadata the kubelet encodes in log file paths. */
export interface KubernetesPathInfo {
  namespace: string;
  pod: string;
  container: string;
  uid?: string;
  containerId?: string;
}

// /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
const PODS = /\/pods\/([^_/]+)_([^_/]+)_([^_/]+)\/([^/]+)\/\d+\.log(?:\.\d+)?$/;
// /var/log/containers/<pod>_<namespace>_<container>-<64 hex id>.log
const CONTAINERS = /\/containers\/([^_/]+)_([^_/]+)_([^/]+)-([0-9a-f]{64})\.log$/;

/** Parses a kubelet log path; undefined when the path has neither layout. */
export function kubernetesPathInfo(path: string): KubernetesPathInfo | undefined {
  const p = PODS.exec(path);
  if (p !== null) return { namespace: p[1] as string, pod: p[2] as string, uid: p[3] as string, container: p[4] as string };
  const c = CONTAINERS.exec(path);
  if (c !== null) return { pod: c[1] as string, namespace: c[2] as string, container: c[3] as string, containerId: c[4] as string };
  return undefined;
}
