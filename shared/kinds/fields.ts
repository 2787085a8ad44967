import * as z from "zod/mini";
import { canonicalIp, isHostName, isIPv4, isIp } from "../net.ts";

/** Spec fields: only literal addresses, names and ports ever reach a renderer. */
export const Port = z.int().check(z.gte(1), z.lte(65535));

export const Address = z
  .string()
  .check(
    z.refine((a) => isIp(a) && canonicalIp(a) === a, "must be an IP literal in canonical form"),
  );

export const Name = z.string().check(z.refine(isHostName, "must be an RFC 1123 name"));

export const Backend = z.strictObject({ name: Name, address: Address, port: Port });

const HOST_PORT = /^(?:\[([0-9a-f:.]+)\]|([0-9.]+)):(\d{1,5})$/;

/** `ip:port` or `[v6]:port`, as a proxy config writes a backend. */
export const HostPort = z.string().check(
  z.refine((s) => {
    const m = HOST_PORT.exec(s);
    if (!m) return false;
    const addr = m[1] ?? m[2] ?? "";
    const port = Number(m[3]);
    const okAddr = m[1] !== undefined ? !isIPv4(addr) && isIp(addr) : isIPv4(addr);
    return okAddr && canonicalIp(addr) === addr && port >= 1 && port <= 65535;
  }, "must be ip:port or [ipv6]:port"),
);

/** A URL a component dials: scheme, a name or literal, a port; nothing else. */
export const DialUrl = z
  .string()
  .check(
    z.regex(
      /^(?:https?):\/\/(?:[A-Za-z0-9.-]+|\[[0-9a-f:.]+\]):\d{1,5}$/,
      "must be scheme://host:port",
    ),
  );

/**
 * The apiserver URL kubelet is pointed at: `https://` to any host, plain `http://` only to a
 * loopback host (the Kargo document's masters on their own insecure port). Anything else would let
 * whoever controls the bundle hand kubelet an apiserver without TLS.
 */
export const KubeletServerUrl = DialUrl.check(
  z.refine(
    (u) =>
      u.startsWith("https://") ||
      /^http:\/\/(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]):\d{1,5}$/.test(u),
    "must be https://, or http:// to a loopback host",
  ),
);

/** An array with bounds, in mini's spelling. */
export const list = <T extends z.ZodMiniType>(item: T, min: number, max: number) =>
  z.array(item).check(z.minLength(min), z.maxLength(max));
