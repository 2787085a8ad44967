/**
 * Lookups by a name that came from input. `obj[name]` and `name in obj` see Object.prototype
 * (`constructor`, `toString`, ...): a group or host with such a name must be found only if it
 * was really given.
 */
export function own<T>(rec: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** True when `key` is one of the record's own keys. */
export function hasOwn(rec: Readonly<Record<string, unknown>> | undefined, key: string): boolean {
  return rec !== undefined && Object.hasOwn(rec, key);
}
