/**
 * Prometheus text exposition, written by hand: a few gauges need no client library (prom-client
 * would add its registry and default collectors to the agent's memory for nothing it uses).
 */

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** One metric family: HELP, TYPE and its samples. */
export function family(
  name: string,
  help: string,
  type: "gauge" | "counter",
  samples: Array<{ labels?: Record<string, string>; value: number }>,
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const labels = Object.entries(s.labels ?? {})
      .map(([k, v]) => `${k}="${escape(v)}"`)
      .join(",");
    lines.push(`${name}${labels ? `{${labels}}` : ""} ${s.value}`);
  }
  return lines.join("\n") + "\n";
}
