import { readOrNull } from "./fs-atomic.ts";

/** A /proc/net/tcp address (`0100007F:1F90`, or 32 hex digits for tcp6) as `ip:port` / `[v6]:port`. */
export function procAddress(hex: string): string | null {
  const [ip, port] = hex.split(":");
  if (!ip || !port) return null;
  const p = Number.parseInt(port, 16);
  // Each 32-bit word is in host (little-endian) byte order.
  const words = (ip.match(/.{8}/g) ?? []).map((w) =>
    (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)),
  );
  if (words.length === 1) return `${(words[0] ?? []).join(".")}:${p}`;
  if (words.length !== 4) return null;
  const bytes = words.flat();
  // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 peer of a dual-stack socket.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255)
    return `${bytes.slice(12).join(".")}:${p}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // The URL parser writes an IPv6 literal in its canonical, compressed form.
  return `${new URL(`http://[${groups.join(":")}]`).hostname}:${p}`;
}

/**
 * Established TCP connections from this machine to each of `targets` (`ip:port`), counted from
 * /proc/net/tcp and tcp6 (whatever the LB: nginx, HAProxy or anything else holding them).
 */
export function countEstablished(
  targets: readonly string[],
  proc = "/proc/net",
): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(targets.map((t) => [t, 0]));
  for (const file of ["tcp", "tcp6"]) {
    const text = readOrNull(`${proc}/${file}`) ?? "";
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== "01") continue;
      const remote = procAddress(f[2] ?? "");
      if (remote !== null && remote in counts) counts[remote] = (counts[remote] ?? 0) + 1;
    }
  }
  return counts;
}
