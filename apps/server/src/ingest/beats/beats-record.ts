// Maps one Beats event (a v2 JSON event or a v1 key/value event) to a record, through the Elasticsearch document
// mapping Filebeat's `_bulk` documents take, so a shipper gives the same records whichever output it uses.

import type { LogRecord } from "@meshlog/core";
import { documentToRecord } from "../elasticsearch/es-document.js";

export const BEATS_SOURCE = "beats";

/**
 * The index label a Logstash pipeline would write the event to by default (`%{[@metadata][beat]}-%{[@metadata][version]}`,
 * e.g. `filebeat-8.17.0`, the same name Filebeat's own Elasticsearch output uses); "" when the event has no metadata.
 */
function indexOf(meta: unknown): string {
  if (meta === null || typeof meta !== "object") return "";
  const { beat, version } = meta as Record<string, unknown>;
  if (typeof beat !== "string" || !/^[a-z0-9][a-z0-9._-]{0,99}$/.test(beat)) return "";
  return typeof version === "string" && /^[0-9][0-9A-Za-z.+-]{0,39}$/.test(version) ? `${beat}-${version}` : beat;
}

/**
 * A v2 event to a record: `@metadata` gives the index label and is not stored; everything else maps as an
 * Elasticsearch document (body from `message`, time from `@timestamp`, severity from `log.level`, service and
 * Kubernetes fields to the resource, other fields flattened into attributes). Throws DocumentError when the
 * event cannot be stored (bad `@timestamp`, a message over ingest.maxLineBytes, invalid labels).
 */
export function beatsEventToRecord(event: Record<string, unknown>, tenant: string, nowNs: bigint, maxLineBytes: number): LogRecord {
  return documentToRecord(event, indexOf(event["@metadata"]), undefined, tenant, nowNs, maxLineBytes, BEATS_SOURCE, "@metadata");
}

/**
 * A v1 (logstash-forwarder) event: string pairs. `line` is the message (as Logstash's beats input renames it),
 * `host` the host name; the other pairs (`file`, `offset`, custom fields) become attributes.
 */
export function beatsV1EventToRecord(fields: Record<string, string>, tenant: string, nowNs: bigint, maxLineBytes: number): LogRecord {
  const { line, host, ...rest } = fields;
  const doc: Record<string, unknown> = { ...rest };
  if (line !== undefined && doc.message === undefined) doc.message = line;
  else if (line !== undefined) doc.line = line;
  if (host !== undefined) doc.host = { name: host };
  return documentToRecord(doc, "", undefined, tenant, nowNs, maxLineBytes, BEATS_SOURCE);
}
