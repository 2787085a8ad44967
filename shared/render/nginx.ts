import { hostPort, isIPv6 } from "../net.ts";
import type { Backend } from "../endpoints.ts";
import { sha256Hex } from "../hash.ts";
import { healthMarkLine } from "../health-mark.ts";

export interface NginxLbInput {
  /** the port the localhost LB listens on (sp) */
  listenPort: number;
  healthPort: number;
  backends: Backend[];
  /**
   * Backends (by name) that get no new connection: drained by the control plane, or taken out
   * by this node's agent after failed `/readyz` checks. Never every backend.
   */
  down?: string[];
  /** /healthz on loopback (default) or on every address (Kubespray's nginx-proxy) */
  healthOn?: "loopback" | "all";
}

/**
 * A full nginx.conf for the localhost apiserver LB: a TCP (stream) upstream of every master,
 * listeners on loopback only, passive failure handling, and a loopback-only /healthz. A
 * backend in `down` is kept in the upstream marked `down`; on reload the old workers get 3 s
 * (`worker_shutdown_timeout`) before their connections are closed, so a stream pinned to a
 * master that was taken out moves to a ready one.
 * Debian's stream module loads through modules-enabled; builds with stream compiled in match
 * nothing there, which nginx accepts.
 */
/** Stands for the health mark until the rest of the config (which it names) is known. */
const PENDING_MARK = "HALO_HEALTH_MARK";

export function renderNginx(input: NginxLbInput): string {
  if (input.backends.length === 0) throw new Error("nginx upstream would be empty");
  const down = new Set(input.down ?? []);
  if (input.backends.every((b) => down.has(b.name)))
    throw new Error("nginx upstream would have every backend down");
  const v6 = input.backends.some((b) => isIPv6(b.address));
  // reuseport: a second nginx (halo's own replacing Kubespray's nginx-proxy pod) can bind the
  // same port before the first lets go, so the port is never without a listener. nginx adds
  // the option to a socket it already holds on reload.
  const listen = (port: number) => [
    `listen 127.0.0.1:${port} reuseport;`,
    ...(v6 ? [`listen [::1]:${port} reuseport;`] : []),
  ];
  const listenAll = (port: number) => [
    `listen ${port} reuseport;`,
    ...(v6 ? [`listen [::]:${port} reuseport;`] : []),
  ];
  const lines = [
    "# Managed by halo: the localhost load balancer for kube-apiserver. Edits are overwritten.",
    "include /etc/nginx/modules-enabled/*.conf;",
    "worker_processes 2;",
    "worker_rlimit_nofile 8192;",
    "worker_shutdown_timeout 3s;",
    "",
    "events {",
    "  multi_accept on;",
    "  use epoll;",
    "  worker_connections 4096;",
    "}",
    "",
    "stream {",
    "  upstream kube_apiserver {",
    "    least_conn;",
    ...input.backends.map(
      (b) =>
        `    server ${hostPort(b.address, b.port)} ${down.has(b.name) ? "down" : "max_fails=1 fail_timeout=10s"}; # ${b.name}`,
    ),
    "  }",
    "",
    "  server {",
    ...listen(input.listenPort).map((l) => `    ${l}`),
    "    proxy_pass kube_apiserver;",
    "    proxy_timeout 10m;",
    "    proxy_connect_timeout 1s;",
    "    proxy_next_upstream on;",
    "  }",
    "}",
    "",
    "http {",
    "  access_log off;",
    "  server {",
    ...(input.healthOn === "all" ? listenAll : listen)(input.healthPort).map((l) => `    ${l}`),
    "    location = /healthz {",
    "      default_type text/plain;",
    `      return 200 "ok ${PENDING_MARK}\\n";`,
    "    }",
    "    location / {",
    "      return 404;",
    "    }",
    "  }",
    "}",
    "",
  ];
  // The mark names this very config: /healthz answers with it once nginx runs it.
  const body = lines.join("\n");
  const id = sha256Hex(body).slice(0, 16);
  return [lines[0], healthMarkLine(id), ...lines.slice(1)].join("\n").replace(PENDING_MARK, id);
}
