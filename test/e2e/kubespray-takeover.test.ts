import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/control-plane.ts";
import { PutTopologyResponse } from "../../shared/api-schemas.ts";
import { createServer } from "node:net";
import { Fleet, reach, waitFor, type Node } from "./fleet.ts";
import { podTopology, reached, shippedProfile, startPodFleet } from "./kubespray-pods.ts";

/**
 * Kubespray's nginx-proxy static pod taken over in place by agent/profiles/kubespray-nginx.yaml,
 * then replaced by a host nginx with no moment without a listener. No container runtime runs
 * here: the "pod" is Debian's nginx started in a mount namespace of its own (its /etc/nginx is
 * the node's nginx_config_dir, read-only, as the pod mounts it), and `crictl` is the stand-in in
 * test/e2e/bin, which runs `crictl exec` inside that namespace with nsenter. Loopback only.
 */
const fleet = new Fleet();
const CLUSTER = "adopt";
const M = { m1: "127.0.72.1", m2: "127.0.72.2", m3: "127.0.72.3" };
const N1 = "127.0.72.11";
let sp = 0; // kube_apiserver_port
let lb = 0; // loadbalancer_apiserver_port (6443 on a real node)
let health = 0; // loadbalancer_apiserver_healthcheck_port (8081)
let node: Node;
let pod: ChildProcess;
let podPid = 0;
const pods = join(fleet.dir, "crictl");
const confDir = () => join(node.root, "etc/nginx");

/** Kubespray's nginx.conf.j2 as cluster.yml renders it for one master (m1). */
const kubesprayConf =
  () => `# written by Kubespray (roles/kubernetes/node/templates/loadbalancer/nginx.conf.j2)
# The stand-in pod runs Debian's nginx, whose stream module is a module (the nginx image has it built in).
include /etc/nginx/modules-enabled/*.conf;
error_log stderr notice;

worker_processes 2;
worker_rlimit_nofile 65535;
worker_shutdown_timeout 10s;

events {
  multi_accept on;
  use epoll;
  worker_connections 16384;
}

stream {
  upstream kube_apiserver {
    least_conn;
    server ${M.m1}:${sp};
    }

  server {
    listen        127.0.0.1:${lb};
    proxy_pass    kube_apiserver;
    proxy_timeout 10m;
    proxy_connect_timeout 1s;
  }
}

http {
  aio threads;
  aio_write on;
  tcp_nopush on;
  tcp_nodelay on;

  keepalive_timeout 5m;
  keepalive_requests 100;
  reset_timedout_connection on;
  server_tokens off;
  autoindex off;

  server {
    listen ${health};
    location /healthz {
      access_log off;
      return 200;
    }
  }
}
`;

/** The pod: nginx in the foreground, in a mount namespace with the config dir bound read-only. */
function startPod(): void {
  mkdirSync(pods, { recursive: true });
  pod = spawn(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount --bind "$0" /etc/nginx && mount -o remount,bind,ro /etc/nginx && mount -t tmpfs tmpfs /run && exec nginx -g "daemon off;"',
      confDir(),
    ],
    // Its own process group, so the end of the test takes the workers with the master.
    { stdio: "ignore", detached: true },
  );
  podPid = pod.pid ?? 0;
  writeFileSync(join(pods, "nginx-proxy.pid"), String(podPid));
}

/** Every process listening on the LB port, by pid. */
function listeners(): number[] {
  const out = spawnSync("ss", ["-Hltnp", `sport = :${lb}`], { encoding: "utf8" }).stdout;
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** The pid of a listener's nginx master: itself, or its parent for a worker. */
function masterOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("master") ? pid : ppid;
}

/** Connects through the LB every few ms until stopped: every attempt must reach a master. */
class Prober {
  attempts = 0;
  failures: string[] = [];
  private running = true;
  private readonly done: Promise<void>;
  constructor() {
    this.done = (async () => {
      while (this.running) {
        this.attempts++;
        await reach("127.0.0.1", lb).catch((e: Error) => this.failures.push(e.message));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  }
  async stop(): Promise<this> {
    this.running = false;
    await this.done;
    return this;
  }
}

const topology = (masters: Array<keyof typeof M>, vars: Record<string, unknown> = {}) =>
  podTopology(M, masters, N1, { sp, lb, health }, vars);

const put = (t: object) =>
  fleet.call(PutTopologyResponse, "PUT", `/v1/clusters/${CLUSTER}/topology`, t);

beforeAll(async () => {
  ({ sp, lb, health } = await startPodFleet(fleet, M, pods));
  node = fleet.node("n1", shippedProfile("kubespray-nginx", "nginx", health));
  mkdirSync(join(confDir(), "modules-enabled"), { recursive: true });
  symlinkSync(
    "/usr/share/nginx/modules-available/mod-stream.conf",
    join(confDir(), "modules-enabled/50-mod-stream.conf"),
  );
  writeFileSync(join(confDir(), "nginx.conf"), kubesprayConf());
  startPod();
  await waitFor(
    "the pod's nginx to proxy to m1",
    async () => (await reach("127.0.0.1", lb)) === "m1",
  );
  await fleet.createCluster(CLUSTER);
  await put(topology(["m1", "m2"]));
}, 120_000);
afterAll(async () => {
  if (pod?.exitCode === null) process.kill(-podPid, "SIGKILL");
  spawnSync("sh", [
    "-c",
    `kill $(cat ${join(node.root, "host-nginx.pid")} 2>/dev/null) 2>/dev/null`,
  ]);
  await fleet.stop();
});

describe("Kubespray's nginx-proxy pod, adopted", () => {
  it("takes over the pod's nginx.conf in place: checked and reloaded inside the pod, never restarted", async () => {
    const probe = new Prober();
    node.join(await fleet.joinToken(CLUSTER), N1);
    node.run();
    await fleet.converged(CLUSTER, ["n1"]);
    const conf = readFileSync(join(confDir(), "nginx.conf"), "utf8");
    expect(conf.startsWith("# Managed by halo")).toBe(true);
    expect(await reached(lb, 12)).toEqual(new Set(["m1", "m2"]));
    // The same pod, and only the pod, holds the port.
    expect(pod.exitCode).toBe(null);
    expect(new Set(listeners().map(masterOf))).toEqual(new Set([podPid]));

    // A master change reaches the pod in seconds, through the same running nginx.
    await put(topology(["m1", "m2", "m3"]));
    await waitFor("m3 behind the pod's nginx", async () => (await reached(lb, 6)).has("m3"));
    expect(new Set(listeners().map(masterOf))).toEqual(new Set([podPid]));
    const p = await probe.stop();
    console.log(`in place: ${p.attempts} connections through the LB, ${p.failures.length} failed`);
    expect(p.failures).toEqual([]);
    expect(p.attempts).toBeGreaterThan(20);
  }, 120_000);

  it("fails and rolls back a change whose reload does not take effect", async () => {
    // The new health port is taken by another listener: \`nginx -t\` passes (it binds nothing),
    // the reload cannot bind, nginx keeps running the old config, and \`nginx -s reload\` exits 0.
    await fleet.rollout(CLUSTER);
    const taken = await freePort();
    const squatter = createServer().listen(taken, "127.0.0.1");
    await new Promise((r) => squatter.once("listening", r));
    const before = readFileSync(join(confDir(), "nginx.conf"), "utf8");
    await put(topology(["m1", "m2", "m3"], { loadbalancer_apiserver_healthcheck_port: taken }));
    // The canary's apply fails at its health check, and the rollout reverts the fleet.
    await fleet.rollout(CLUSTER, ["reverted"]);
    expect(node.output()).toMatch(
      /failed at health: .*answered by a config other than the one written .*the reload did not take effect/,
    );
    // Rolled back: the old file, still the pod's running config, still proxying.
    expect(readFileSync(join(confDir(), "nginx.conf"), "utf8")).toBe(before);
    expect(pod.exitCode).toBe(null);
    squatter.close();
  }, 120_000);

  it("refuses a change it cannot check in the pod, and changes nothing", async () => {
    // The pod is gone (crictl finds no running nginx-proxy): no check can run, nothing is written.
    await fleet.rollout(CLUSTER, ["completed", "reverted"]);
    const before = readFileSync(join(confDir(), "nginx.conf"), "utf8");
    const pidFile = join(pods, "nginx-proxy.pid");
    writeFileSync(pidFile, "999999999");
    await put(topology(["m1", "m3"]));
    await fleet.rollout(CLUSTER, ["reverted"]);
    expect(node.output()).toMatch(/failed at check: .*no such container/);
    expect(readFileSync(join(confDir(), "nginx.conf"), "utf8")).toBe(before);
    writeFileSync(pidFile, String(podPid));
  }, 120_000);

  it("hands the port to a host nginx with no moment without a listener, then manages that one", async () => {
    await put(topology(["m1", "m2", "m3"]));
    await fleet.converged(CLUSTER, ["n1"]);
    // 0. Connections still queued on a listener that closes move to another socket of its
    //    reuseport group instead of being reset (Linux 5.14+; the handover's step 1).
    const migrate = "/proc/sys/net/ipv4/tcp_migrate_req";
    const before = readFileSync(migrate, "utf8").trim();
    writeFileSync(migrate, "1");
    fleet.onStop(() => writeFileSync(migrate, before));
    const probe = new Prober();
    // 1. The host's nginx starts on the same file: halo's listeners are shared (reuseport).
    const hostPid = join(node.root, "host-nginx.pid");
    const conf = join(confDir(), "nginx.conf");
    // (stdio ignored: the daemon would hold a pipe open for as long as it runs)
    const host = spawnSync("nginx", ["-c", conf, "-g", `pid ${hostPid};`], { stdio: "ignore" });
    expect(host.status).toBe(0);
    const hostMaster = Number(readFileSync(hostPid, "utf8"));
    await waitFor("both to listen", () =>
      new Set(listeners().map(masterOf)).size === 2 ? true : undefined,
    );
    // 2. The static pod goes (kubelet stops it when its manifest is moved away; the nginx
    //    image's stop signal is SIGQUIT, a graceful shutdown).
    // Traffic flowing through both listeners when the pod goes, whatever this machine's speed.
    const flowing = probe.attempts + 10;
    await waitFor("connections through both listeners", () =>
      probe.attempts >= flowing ? true : undefined,
    );
    const exited = new Promise((r) => pod.once("exit", r));
    pod.kill("SIGQUIT");
    await exited;
    const atExit = probe.attempts;
    expect(new Set(listeners().map(masterOf))).toEqual(new Set([hostMaster]));
    // 3. The agent's nginx kind now reloads the host's nginx (systemctl reload nginx on a node).
    await node.kill();
    const cfg = JSON.parse(readFileSync(node.config, "utf8")) as {
      artifacts: Record<string, unknown>;
    };
    cfg.artifacts.nginx = {
      path: "/etc/nginx/nginx.conf",
      check: "nginx -t -q -c {staged}",
      reload: `nginx -c ${conf} -g 'pid ${hostPid};' -s reload`,
      retire: null,
      health: `http://127.0.0.1:${health}/healthz`,
    };
    writeFileSync(node.config, JSON.stringify(cfg));
    node.run();
    await put(topology(["m2", "m3"]));
    await waitFor("m1 gone from the host nginx", async () => !(await reached(lb, 9)).has("m1"));
    const p = await probe.stop();
    console.log(`handover: ${p.attempts} connections through the LB, ${p.failures.length} failed`);
    expect(p.failures).toEqual([]);
    // Connections went on through the host nginx alone, and across the agent's switch.
    expect(p.attempts).toBeGreaterThan(atExit);
  }, 120_000);
});
