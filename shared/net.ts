/** Literal checks for the values that end up inside rendered config files. */
import ipaddr from "ipaddr.js";

const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIPv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => IPV4_OCTET.test(p));
}

/** An IPv6 literal as a real parser reads it (no zone id: it would mean nothing in a config). */
export function isIPv6(value: string): boolean {
  return value.length <= 45 && !value.includes("%") && ipaddr.IPv6.isValid(value);
}

/**
 * The one spelling every renderer uses: RFC 5952 for IPv6 (`1:2:3:4:5:6:7::` becomes
 * `1:2:3:4:5:6:7:0`, which nginx and HAProxy both parse), IPv4 as given.
 */
export function canonicalIp(value: string): string {
  return isIPv6(value) ? ipaddr.IPv6.parse(value).toRFC5952String() : value;
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
  return /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/.test(value) && value !== "__proto__";
}
