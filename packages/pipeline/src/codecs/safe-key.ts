// Guards field names taken from input against `__proto__`, which a plain-object assignment would not store.

/** The name to store a field under: `__proto__` becomes `_proto_`; every other name is kept. */
export function safeKey(name: string): string {
  return name === "__proto__" ? "_proto_" : name;
}
