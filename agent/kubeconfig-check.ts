/**
 * The kubeconfig check the agent runs itself: the edited file must still be a YAML document
 * with at least one cluster, each with a server. The YAML parser loads only when a kubeconfig
 * is edited, so an idle agent does not carry it.
 */
export async function checkKubeconfig(text: string): Promise<string | null> {
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text);
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
