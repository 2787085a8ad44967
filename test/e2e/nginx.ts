import { join } from "node:path";
import type { Fleet, Node } from "./fleet.ts";

/**
 * A node whose localhost LB is a real nginx. The reload acts like `systemctl reload-or-restart`:
 * it signals the running master, or starts nginx the first time.
 */
export function nginxNode(fleet: Fleet, host: string, healthPort: number, extraCheck = ""): Node {
  const root = join(fleet.dir, "nodes", host);
  const conf = join(root, "etc/nginx/nginx.conf");
  const pid = join(root, "nginx.pid");
  const g = `-g 'pid ${pid}; error_log stderr;'`;
  const node = fleet.node(host, {
    ...SANDBOXED,
    nginx: {
      path: "/etc/nginx/nginx.conf",
      check: `nginx -t -q -c {staged} ${g}${extraCheck}`,
      reload: `if [ -s ${pid} ] && kill -0 $(cat ${pid}) 2>/dev/null; then nginx -s reload -c ${conf} ${g}; else nginx -c ${conf} ${g}; fi`,
      health: `http://127.0.0.1:${healthPort}/healthz`,
    },
  });
  fleet.onStop(() => {
    const p = node.file("nginx.pid");
    if (p) {
      try {
        process.kill(Number(p.trim()), "SIGTERM");
      } catch {
        /* already gone */
      }
    }
  });
  return node;
}

/** The kinds every test node takes besides its LB: files only, no service run. */
export const SANDBOXED = {
  hosts: { path: "/etc/hosts" },
  endpoints: { path: "/etc/halo/endpoints.json" },
  "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: null, health: null },
};

/**
 * A node's kinds with nginx checked by a real `nginx -t` (its pid file at `pid`) and neither
 * reloaded nor probed: what the benches' nodes run.
 */
export function checkedNginx(pid: string) {
  return {
    ...SANDBOXED,
    nginx: {
      path: "/etc/nginx/nginx.conf",
      check: `nginx -t -q -c {staged} -g 'pid ${pid}; error_log stderr;'`,
      reload: null,
      health: null,
    },
  };
}

/** A node that only takes the hosts block and the endpoints file (a master, here). */
export function plainNode(fleet: Fleet, host: string): Node {
  return fleet.node(host, SANDBOXED);
}

/**
 * A node whose LB is a real HAProxy (the lb host's external LB, or a localhost LB); its reload
 * is HAProxy's own: a new process takes over (-sf).
 */
export function haproxyNode(
  fleet: Fleet,
  host: string,
  healthPort: number,
  also: Record<string, unknown> = {},
): Node {
  const root = join(fleet.dir, "nodes", host);
  const cfg = join(root, "etc/haproxy/haproxy.cfg");
  const pid = join(root, "haproxy.pid");
  const node = fleet.node(host, {
    ...also,
    haproxy: {
      path: "/etc/haproxy/haproxy.cfg",
      check: "haproxy -c -q -f {staged}",
      reload: `if [ -s ${pid} ] && kill -0 $(cat ${pid}) 2>/dev/null; then haproxy -D -f ${cfg} -p ${pid} -sf $(cat ${pid}); else haproxy -D -f ${cfg} -p ${pid}; fi`,
      health: `http://127.0.0.1:${healthPort}/healthz`,
    },
  });
  fleet.onStop(() => {
    for (const p of (node.file("haproxy.pid") ?? "").split("\n").filter(Boolean)) {
      try {
        process.kill(Number(p), "SIGTERM");
      } catch {
        /* gone */
      }
    }
  });
  return node;
}
