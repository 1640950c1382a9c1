// The one error class of meshlog: a stable code, a message saying what failed and where, optional details.

/** An error with a stable `AREA_PROBLEM` code. Codes are mapped to HTTP status only at the edge. */
export class MeshlogError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MeshlogError";
    this.code = code;
    this.details = options?.details;
  }
}

/** Describes one error code: when it is raised and the HTTP status it maps to at the edge. */
export interface ErrorCodeSpec {
  readonly status: number;
  readonly description: string;
}

export type ErrorCatalog = Readonly<Record<string, ErrorCodeSpec>>;

const registry = new Map<string, ErrorCodeSpec & { area: string }>();

/**
 * Registers a package's error codes. Each code may be registered once across the whole program;
 * a duplicate is a programming error and throws at import time.
 */
export function defineErrors<const C extends ErrorCatalog>(area: string, catalog: C): { readonly [K in keyof C]: K } {
  const codes = {} as Record<string, string>;
  for (const [code, spec] of Object.entries(catalog)) {
    const existing = registry.get(code);
    if (existing !== undefined && existing.area !== area) {
      throw new Error(`BUG: error code ${code} registered by both ${existing.area} and ${area}`);
    }
    if (!/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(code)) throw new Error(`BUG: error code ${code} is not AREA_PROBLEM`);
    registry.set(code, { ...spec, area });
    codes[code] = code;
  }
  return codes as { readonly [K in keyof C]: K };
}

/** All registered codes (for documentation and the uniqueness test). */
export function errorCatalog(): ReadonlyMap<string, ErrorCodeSpec & { area: string }> {
  return registry;
}

/** HTTP status for an error: its code's status when registered, else 500. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof MeshlogError) return registry.get(err.code)?.status ?? 500;
  return 500;
}

/** Asserts an invariant; a failure is a bug in meshlog, never a user error. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message.startsWith("BUG:") ? message : `BUG: ${message}`);
}

export const CoreErrors = defineErrors("core", {
  RECORD_INVALID: { status: 400, description: "A record failed validation; the message names the field." },
  LABELS_TOO_MANY: { status: 400, description: "A stream has more labels than the configured limit." },
  LABEL_NAME_INVALID: { status: 400, description: "A label name is not a valid Prometheus/Loki label name." },
  LABEL_VALUE_TOO_LONG: { status: 400, description: "A label value exceeds the configured maximum length." },
  TIME_INVALID: { status: 400, description: "A timestamp could not be parsed." },
  CONFIG_INVALID: { status: 400, description: "A configuration value is invalid; the message names the key and the file." },
});
