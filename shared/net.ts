/** Literal checks for the values that end up inside rendered config files. */

const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIPv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => IPV4_OCTET.test(p));
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;

export function isIPv6(value: string): boolean {
  if (value.length > 45 || value.includes("%")) return false;
  let head = value;
  let tailGroups = 0;
  const lastColon = value.lastIndexOf(":");
  const tail = value.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIPv4(tail)) return false;
    head = value.slice(0, lastColon + 1) + "0:0";
    tailGroups = 0;
  }
  const doubles = head.split("::");
  if (doubles.length > 2) return false;
  const groups = (s: string): string[] | null => {
    if (s === "") return [];
    const g = s.split(":");
    return g.every((x) => HEXTET.test(x)) ? g : null;
  };
  if (doubles.length === 2) {
    const left = groups(doubles[0] ?? "");
    const right = groups(doubles[1] ?? "");
    if (!left || !right) return false;
    return left.length + right.length + tailGroups <= 7;
  }
  const all = groups(head);
  return all !== null && all.length === 8;
}

export function isIp(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/** Writes an address the way URLs, nginx and HAProxy expect it next to a port. */
export function hostPort(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split(".").every((label) => LABEL.test(label));
}

/** Ansible group names: letters, digits, '_' and '-'. */
export function isGroupName(value: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(value);
}
