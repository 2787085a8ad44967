import { hostPort } from "../net.ts";
import type { Backend } from "../endpoints.ts";

/** The external LB of the Kargo document: its `listen` block on the VIP, with health checks. */
export interface HaproxyExternalInput {
  mode: "external";
  vip: string;
  port: number;
  healthPort: number;
  backends: Backend[];
  /** backends (by name) drained by the control plane: no new connection */
  down?: string[];
}

/** The localhost LB built on HAProxy instead of nginx: loopback frontends only. */
export interface HaproxyLocalInput {
  mode: "localhost";
  listenPort: number;
  healthPort: number;
  v6: boolean;
  backends: Backend[];
  down?: string[];
  /** /healthz on loopback (default) or on every address (Kubespray's haproxy pod) */
  healthOn?: "loopback" | "all";
}

/**
 * Readiness, not reachability: every server is checked with `GET /readyz` over TLS (not
 * verified: readiness, not identity), checks every 2 s, every 250 ms while a server
 * is changing state; 2 failures take it out, 2 passes bring it back, and taking it out closes
 * its sessions (a stream on a wedged master is cut, its client reconnects to a ready one).
 * 401/403 is an apiserver with anonymous auth off: alive, routed.
 */
const CHECKS = [
  "  option httpchk",
  "  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host kube-apiserver",
  "  http-check expect rstatus ^(200|401|403)$",
  "  timeout check 1s",
  "  default-server check check-ssl verify none inter 2s fastinter 250ms downinter 2s fall 2 rise 2 on-marked-down shutdown-sessions",
];

function header(healthBinds: string[]): string[] {
  return [
    "# Managed by halo: HAProxy for kube-apiserver. Edits are overwritten.",
    "global",
    "  maxconn 4000",
    // A reload leaves the old process 5 s for its sessions: a drained master's are then closed.
    "  hard-stop-after 5s",
    "  log stderr format short local0 notice",
    "",
    "defaults",
    "  log global",
    "  mode tcp",
    // Also bounds a health check (min(timeout connect, inter)): a hung apiserver fails its check in 1 s.
    "  timeout connect 1s",
    "  retries 2",
    "  option redispatch",
    "  timeout client 3h",
    "  timeout server 3h",
    "",
    "frontend healthz",
    ...healthBinds.map((b) => `  bind ${b}`),
    "  mode http",
    "  timeout client 5s",
    "  monitor-uri /healthz",
    "",
  ];
}

export function renderHaproxy(input: HaproxyExternalInput | HaproxyLocalInput): string {
  if (input.backends.length === 0) throw new Error("haproxy backend list would be empty");
  const down = new Set(input.down ?? []);
  if (input.backends.every((b) => down.has(b.name)))
    throw new Error("haproxy backend list would have every server down");
  const servers = [
    ...input.backends.map(
      (b) =>
        `  server ${b.name} ${hostPort(b.address, b.port)}${down.has(b.name) ? " disabled" : ""}`,
    ),
    // When every checked server is down, the same masters unchecked: an outage of every
    // master never leaves the LB with nowhere to send a connection.
    "  option allbackups",
    ...input.backends
      .filter((b) => !down.has(b.name))
      .map((b) => `  server ${b.name}-all-down ${hostPort(b.address, b.port)} backup no-check`),
  ];
  if (input.mode === "external") {
    return [
      ...header([`127.0.0.1:${input.healthPort}`]),
      "listen kubernetes-apiserver-https",
      `  bind ${hostPort(input.vip, input.port)}`,
      "  mode tcp",
      "  timeout client 3h",
      "  timeout server 3h",
      ...CHECKS,
      ...servers,
      "  balance roundrobin",
      "",
    ].join("\n");
  }
  const loop = (port: number) => [`127.0.0.1:${port}`, ...(input.v6 ? [`[::1]:${port}`] : [])];
  const all = (port: number) => [`0.0.0.0:${port}`, ...(input.v6 ? [`:::${port}`] : [])];
  return [
    ...header((input.healthOn === "all" ? all : loop)(input.healthPort)),
    "listen kube_apiserver",
    ...loop(input.listenPort).map((b) => `  bind ${b}`),
    "  mode tcp",
    "  balance leastconn",
    ...CHECKS,
    ...servers,
    "",
  ].join("\n");
}
