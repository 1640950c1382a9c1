// Format detection and the single entry point for body parsing (`parseBody`).

import type { BodyFormat, ParsedBody } from "./body-format.js";
import { parseCriLine } from "./cri/cri-line.js";
import { dockerLineOf, isDockerObject } from "./docker/docker-line.js";
import { isEnvoyJson, parseEnvoyJsonObject } from "./envoy/envoy-json.js";
import { parseEnvoyText } from "./envoy/envoy-text.js";
import { parseIstioText } from "./istio/istio-text.js";
import { jsonObjectToBody, parseJsonObject } from "./json/json-body.js";
import { isLinkerdJson, parseLinkerdApache, parseLinkerdJsonObject } from "./linkerd/linkerd-access.js";
import { parseLogfmtBody } from "./logfmt/logfmt-body.js";
import { parseNginxAccess } from "./nginx/nginx-access.js";
import { parseSyslog } from "./syslog/parse-syslog.js";
import type { SyslogParseOptions } from "./syslog/syslog-message.js";
import { syslogToParsedBody } from "./syslog/syslog-body.js";

/** Options of parseBody. */
export interface ParseBodyOptions {
  /** Lines longer than this (characters) are not parsed and come back as `plain`; default 1 MiB. */
  maxLineLength?: number;
  /** Passed to parseSyslog for the syslog formats. */
  syslog?: SyslogParseOptions;
}

const DEFAULT_MAX_LINE = 1024 * 1024;
const plain = (): ParsedBody => ({ format: "plain", fields: {} });

/**
 * Parses one line. With `format` omitted (or "auto") the format is detected; with a format given, a line
 * that does not match it comes back as `plain` with no fields. Never throws; linear in the line length.
 * Container envelopes (CRI, Docker json-file) are unwrapped and their content is parsed in turn: the result
 * keeps the envelope's format, `innerFormat` says what the content was, `message` is the content, and the
 * content's own timestamp wins over the runtime's.
 */
export function parseBody(line: string, format?: BodyFormat | "auto", opts: ParseBodyOptions = {}): ParsedBody {
  if (line.length > (opts.maxLineLength ?? DEFAULT_MAX_LINE)) return plain();
  if (format === undefined || format === "auto") return parseAuto(line, true, opts);
  return parseAs(line, format, opts) ?? plain();
}

/** The format parseBody would detect for `line` (`plain` when none). */
export function detectFormat(line: string, opts: ParseBodyOptions = {}): BodyFormat | "plain" {
  return parseBody(line, "auto", opts).format;
}

function parseAs(line: string, format: BodyFormat, opts: ParseBodyOptions): ParsedBody | undefined {
  switch (format) {
    case "json": {
      const o = parseJsonObject(line);
      return o === undefined ? undefined : jsonObjectToBody(o);
    }
    case "logfmt":
      return parseLogfmtBody(line, 1);
    case "envoy":
      return parseEnvoyText(line);
    case "istio":
      return parseIstioText(line);
    case "istio-json":
    case "consul-envoy":
    case "envoy-json": {
      const o = parseJsonObject(line);
      return o === undefined || !isEnvoyJson(o) ? undefined : parseEnvoyJsonObject(o, format);
    }
    case "linkerd-apache":
      return parseLinkerdApache(line);
    case "linkerd-json": {
      const o = parseJsonObject(line);
      return o === undefined || !isLinkerdJson(o) ? undefined : parseLinkerdJsonObject(o);
    }
    case "cri":
      return parseCri(line, opts);
    case "docker": {
      const o = parseJsonObject(line);
      return o === undefined ? undefined : parseDocker(o, opts);
    }
    case "ingress-nginx":
    case "combined":
    case "common":
      return parseNginxAccess(line);
    case "syslog-rfc5424":
    case "syslog-rfc3164":
      try {
        return syslogToParsedBody(parseSyslog(line, opts.syslog));
      } catch {
        return undefined;
      }
  }
}

function parseAuto(line: string, envelopes: boolean, opts: ParseBodyOptions): ParsedBody {
  let i = 0;
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  const c = line.charCodeAt(i);
  if (c === 123 /* { */) {
    const o = parseJsonObject(line);
    if (o !== undefined) {
      if (envelopes && isDockerObject(o)) {
        const d = parseDocker(o, opts);
        if (d !== undefined) return d;
      }
      if (isLinkerdJson(o)) return parseLinkerdJsonObject(o);
      if (isEnvoyJson(o)) return parseEnvoyJsonObject(o);
      return jsonObjectToBody(o);
    }
  } else if (c === 60 /* < */) {
    const d = line.charCodeAt(i + 1);
    if (d >= 48 && d <= 57) {
      try {
        return syslogToParsedBody(parseSyslog(line, opts.syslog));
      } catch {
        // declared RFC 5424 but malformed: fall through to plain
      }
    }
  } else if (c === 91 /* [ */) {
    const r = parseIstioText(line) ?? parseEnvoyText(line);
    if (r !== undefined) return r;
  } else {
    if (envelopes && line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84) {
      const r = parseCri(line, opts);
      if (r !== undefined) return r;
    }
    const bracket = line.indexOf(" [");
    if (bracket > 0 && bracket < 512) {
      const r = parseNginxAccess(line) ?? parseLinkerdApache(line);
      if (r !== undefined) return r;
    }
  }
  if (line.includes("=")) {
    const r = parseLogfmtBody(line, 2);
    if (r !== undefined) return r;
  }
  return plain();
}

function unwrap(
  outer: BodyFormat,
  content: string,
  stream: string,
  timestamp: bigint,
  extra: Record<string, string> | undefined,
  opts: ParseBodyOptions,
): ParsedBody {
  // The inner result is fresh: extend it in place rather than copying (this is the hot path of the agent).
  const out = parseAuto(content, false, opts);
  out.innerFormat = out.format;
  out.format = outer;
  if (extra !== undefined) for (const k in extra) out.fields[k] = extra[k] as string;
  out.fields["log.iostream"] = stream;
  out.message = content;
  out.timestamp ??= timestamp;
  return out;
}

function parseCri(line: string, opts: ParseBodyOptions): ParsedBody | undefined {
  const l = parseCriLine(line);
  if (l === undefined) return undefined;
  return unwrap("cri", l.content, l.stream, l.timestamp, l.partial ? { "log.partial": "true" } : undefined, opts);
}

function parseDocker(o: Record<string, unknown>, opts: ParseBodyOptions): ParsedBody | undefined {
  const d = dockerLineOf(o);
  if (d === undefined) return undefined;
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.attrs)) extra[`docker.attrs.${k}`] = v;
  if (d.partial) extra["log.partial"] = "true";
  return unwrap("docker", d.content, d.stream, d.timestamp, extra, opts);
}
