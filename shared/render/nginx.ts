import { hostPort, isIPv6 } from "../net.ts";
import type { Backend } from "../endpoints.ts";

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
export function renderNginx(input: NginxLbInput): string {
  if (input.backends.length === 0) throw new Error("nginx upstream would be empty");
  const down = new Set(input.down ?? []);
  if (input.backends.every((b) => down.has(b.name)))
    throw new Error("nginx upstream would have every backend down");
  const v6 = input.backends.some((b) => isIPv6(b.address));
  const listen = (port: number) => [
    `listen 127.0.0.1:${port};`,
    ...(v6 ? [`listen [::1]:${port};`] : []),
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
    ...listen(input.healthPort).map((l) => `    ${l}`),
    "    location = /healthz {",
    "      default_type text/plain;",
    '      return 200 "ok\\n";',
    "    }",
    "    location / {",
    "      return 404;",
    "    }",
    "  }",
    "}",
    "",
  ];
  return lines.join("\n");
}
