import { hostPort } from "../net.ts";
import type { Backend } from "../endpoints.ts";

/** The external LB of the seed: its `listen` block on the VIP, with health checks. */
export interface HaproxyExternalInput {
  mode: "external";
  vip: string;
  port: number;
  healthPort: number;
  backends: Backend[];
}

/** The localhost LB built on HAProxy instead of nginx: loopback frontends only. */
export interface HaproxyLocalInput {
  mode: "localhost";
  listenPort: number;
  healthPort: number;
  v6: boolean;
  backends: Backend[];
}

const CHECK = "check inter 2s fall 2 rise 2";

function header(healthBinds: string[]): string[] {
  return [
    "# Managed by halo: HAProxy for kube-apiserver. Edits are overwritten.",
    "global",
    "  maxconn 4000",
    "  log stderr format short local0 notice",
    "",
    "defaults",
    "  log global",
    "  mode tcp",
    "  timeout connect 5s",
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
  const servers = input.backends.map(
    (b) => `  server ${b.name} ${hostPort(b.address, b.port)} ${CHECK}`,
  );
  if (input.mode === "external") {
    return [
      ...header([`127.0.0.1:${input.healthPort}`]),
      "listen kubernetes-apiserver-https",
      `  bind ${hostPort(input.vip, input.port)}`,
      "  option ssl-hello-chk",
      "  mode tcp",
      "  timeout client 3h",
      "  timeout server 3h",
      ...servers,
      "  balance roundrobin",
      "",
    ].join("\n");
  }
  const loop = (port: number) => [`127.0.0.1:${port}`, ...(input.v6 ? [`[::1]:${port}`] : [])];
  return [
    ...header(loop(input.healthPort)),
    "listen kube_apiserver",
    ...loop(input.listenPort).map((b) => `  bind ${b}`),
    "  mode tcp",
    "  option tcp-check",
    "  balance leastconn",
    ...servers,
    "",
  ].join("\n");
}
