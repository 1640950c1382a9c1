// Complete log records for tests: every field of the record model with plain defaults, any of them overridable.

import type { Labels, LogRecord } from "@meshlog/core";

/** 2023-11-14T22:13:20Z in nanoseconds: the default timestamp. */
export const TEST_T0 = 1_700_000_000_000_000_000n;

/**
 * A record of `tenant` (default "t1") with `labels` (default `{service: "api"}`), an INFO severity, no attributes,
 * resource or trace context, and `observedTimestamp` equal to `timestamp` unless given.
 */
export function testRecord(fields: Partial<LogRecord> & { readonly labels?: Labels } = {}): LogRecord {
  const timestamp = fields.timestamp ?? TEST_T0;
  return {
    timestamp,
    observedTimestamp: timestamp,
    severityNumber: 9,
    severityText: "INFO",
    body: "",
    attributes: {},
    resource: {},
    traceId: "",
    spanId: "",
    tenant: "t1",
    labels: { service: "api" },
    ...fields,
  };
}
