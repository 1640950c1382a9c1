// Body formats the pipeline recognizes, and the shape every body parser returns.

/** Every format `parseBody` understands. `plain` is what an unrecognized line is. */
export const BODY_FORMATS = [
  "json",
  "logfmt",
  "envoy",
  "istio",
  "istio-json",
  "consul-envoy",
  "envoy-json",
  "linkerd-apache",
  "linkerd-json",
  "cri",
  "docker",
  "ingress-nginx",
  "combined",
  "common",
  "syslog-rfc5424",
  "syslog-rfc3164",
] as const;

export type BodyFormat = (typeof BODY_FORMATS)[number];

/**
 * What a body parser found in one line. `fields` become record attributes (names in docs/specs/fields.md).
 * `message` is set only by envelope formats (CRI, Docker json-file, syslog): it is the payload that should
 * replace the line as the record body. Self-contained formats (JSON, logfmt, access logs) leave it unset
 * so the original line stays the body. `innerFormat` tells what the envelope's payload was parsed as.
 */
export interface ParsedBody {
  format: BodyFormat | "plain";
  fields: Record<string, string>;
  timestamp?: bigint;
  severityNumber?: number;
  severityText?: string;
  traceId?: string;
  spanId?: string;
  message?: string;
  innerFormat?: BodyFormat | "plain";
}

/** True when `value` is one of BODY_FORMATS. */
export function isBodyFormat(value: string): value is BodyFormat {
  return (BODY_FORMATS as readonly string[]).includes(value);
}
