/** The /etc/hosts managed block; the agent merges it between these markers. */
export const HOSTS_BEGIN = "# BEGIN halo managed block: do not edit, halo rewrites it";
export const HOSTS_END = "# END halo managed block";

/** The block's lines: the LB name mapped to the VIP when an external LB is set, else empty. */
export function renderHostsBlock(
  entries: ReadonlyArray<{ address: string; names: string[] }>,
): string {
  const lines = entries.map((e) => `${e.address} ${e.names.join(" ")}`);
  return [HOSTS_BEGIN, ...lines, HOSTS_END, ""].join("\n");
}

/**
 * Puts a managed block into an existing hosts file: replaces the old block in place, or appends
 * it; every other line (localhost lines included) stays as it was.
 */
export function mergeHostsBlock(current: string, block: string): string {
  const lines = current.split("\n");
  const begin = lines.indexOf(HOSTS_BEGIN);
  const end = begin === -1 ? -1 : lines.indexOf(HOSTS_END, begin);
  const blockLines = block.replace(/\n$/, "").split("\n");
  if (begin !== -1 && end !== -1) {
    return [...lines.slice(0, begin), ...blockLines, ...lines.slice(end + 1)].join("\n");
  }
  const base = current === "" || current.endsWith("\n") ? current : `${current}\n`;
  return `${base}${blockLines.join("\n")}\n`;
}

/** The hosts file without the managed block (what `leave` and retiring the kind write). */
export function removeHostsBlock(current: string): string {
  const lines = current.split("\n");
  const begin = lines.indexOf(HOSTS_BEGIN);
  const end = begin === -1 ? -1 : lines.indexOf(HOSTS_END, begin);
  if (begin === -1 || end === -1) return current;
  return [...lines.slice(0, begin), ...lines.slice(end + 1)].join("\n");
}
