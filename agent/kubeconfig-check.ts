import { parseYaml } from "./yaml.ts";

/**
 * The kubeconfig check the agent runs itself: the edited file must still be a YAML document
 * with at least one cluster, each with a server.
 */
export async function checkKubeconfig(text: string): Promise<string | null> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return `not YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
  }
  const clusters = (doc as { clusters?: unknown } | null)?.clusters;
  if (!Array.isArray(clusters) || clusters.length === 0) return "no clusters";
  for (const [i, c] of clusters.entries()) {
    const server = (c as { cluster?: { server?: unknown } } | null)?.cluster?.server;
    if (typeof server !== "string") return `clusters.${i}.cluster.server is missing`;
  }
  return null;
}
