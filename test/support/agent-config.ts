import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAgentConfig, type AgentConfig } from "../../agent/config.ts";

/**
 * Writes `dir/agent.json` as an operator would (hosts and endpoints at their usual paths, a
 * short health timeout, plus `artifacts`) and loads it as the agent does.
 */
export function writeAgentConfig(
  dir: string,
  artifacts: Record<string, object | null>,
): AgentConfig {
  const file = join(dir, "agent.json");
  writeFileSync(
    file,
    JSON.stringify({
      healthTimeout: 0.2,
      artifacts: {
        hosts: { path: "/etc/hosts" },
        endpoints: { path: "/etc/halo/endpoints.json" },
        ...artifacts,
      },
    }),
  );
  const c = loadAgentConfig(file);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return c.value;
}
