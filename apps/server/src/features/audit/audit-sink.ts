// The audit trail contract: every access becomes an event in the reserved audit tenant.

/** One audit event (who, what, when, from where, result). */
export interface AuditEvent {
  /** e.g. "query", "tail", "ingest", "token.create", "auth.failed", "config.change", "deletion". */
  readonly action: string;
  readonly principal: string;
  readonly tenant: string;
  readonly remoteAddress?: string;
  readonly method?: string;
  readonly route?: string;
  readonly status?: number;
  readonly result: "ok" | "denied" | "error";
  /** Query text, token id, object ids... never secrets. */
  readonly details?: Record<string, string | number | boolean>;
  /** Rows/lines returned or written, when it applies. */
  readonly rows?: number;
}

export interface AuditSink {
  record(event: AuditEvent): void;
  /** Writes buffered events durably (called at shutdown). */
  flush(): Promise<void>;
}
