/** A value or the reasons it could not be had; expected failures travel as data, not exceptions. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** One thing wrong with an input: where (dotted field path) and why. */
export interface Issue {
  path: string;
  message: string;
}

/** Zod's issues (or any like them) as halo's: each path dotted, under `prefix`. */
export function issuesOf(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix: ReadonlyArray<string> = [],
): Issue[] {
  return issues.map((i) => ({
    path: [...prefix, ...i.path.map(String)].filter((s) => s !== "").join("."),
    message: i.message,
  }));
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
