/**
 * One benchmark figure, printed for people and, with `npm run bench -- --json`, also as one
 * JSON object per line: {figure, value, unit, target, ok}. A target is an upper bound.
 */
export const JSON_OUTPUT = process.argv.includes("--json");

export function figure(name: string, value: number, unit: string, target: number | null): void {
  const ok = target === null ? null : value <= target;
  const verdict = ok === null ? "" : ` (target <= ${target} ${unit}: ${ok ? "met" : "MISSED"})`;
  console.log(`${name}: ${value} ${unit}${verdict}`);
  if (JSON_OUTPUT) console.log(JSON.stringify({ figure: name, value, unit, target, ok }));
}

/** `HALO_BENCH_ONLY=name` runs one figure's benchmark (names as in bench/run.ts). */
export function wanted(name: string): boolean {
  const only = process.env.HALO_BENCH_ONLY;
  return !only || only.split(",").includes(name);
}
