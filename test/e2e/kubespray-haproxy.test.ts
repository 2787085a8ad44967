import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PutTopologyResponse } from "../../shared/api-schemas.ts";
import { Fleet, reach, waitFor, type Node } from "./fleet.ts";
import { podTopology, reached, shippedProfile, startPodFleet } from "./kubespray-pods.ts";

/**
 * Kubespray's haproxy static pod taken over in place by agent/profiles/kubespray-haproxy.yaml.
 * The "pod" is Debian's HAProxy in master-worker mode as the first process of a PID and mount
 * namespace of its own (its /usr/local/etc/haproxy is the node's haproxy_config_dir, read-only,
 * as the pod mounts it); `crictl` is the stand-in in test/e2e/bin. Loopback only.
 */
const fleet = new Fleet();
const CLUSTER = "adopt-haproxy";
const M = { m1: "127.0.74.1", m2: "127.0.74.2", m3: "127.0.74.3" };
let sp = 0;
let lb = 0;
let health = 0;
let node: Node;
let pod: ChildProcess;
/** the pod's first process (HAProxy's master), as this machine numbers it */
let master = 0;
const pods = join(fleet.dir, "crictl-haproxy");
const confDir = () => join(node.root, "etc/haproxy");

/** Kubespray's haproxy.cfg.j2 as cluster.yml renders it for one master (m1). */
const kubesprayConf = () => `global
    maxconn                 4000

defaults
    mode                    http
    option                  redispatch
    retries                 5
    timeout connect         30s
    timeout client          5m
    timeout server          15m
    maxconn                 4000

frontend healthz
  bind 0.0.0.0:${health}
  mode http
  monitor-uri /healthz

frontend kube_api_frontend
  bind 127.0.0.1:${lb}
  mode tcp
  option tcplog
  default_backend kube_api_backend

backend kube_api_backend
  mode tcp
  balance leastconn
  default-server inter 15s downinter 15s rise 2 fall 2 slowstart 60s maxconn 1000 maxqueue 256 weight 100
  server m1 ${M.m1}:${sp}
`;

const topology = (masters: Array<keyof typeof M>) =>
  podTopology(
    M,
    masters,
    "127.0.74.11",
    { sp, lb, health },
    { loadbalancer_apiserver_type: "haproxy" },
  );
const put = (t: object) =>
  fleet.call(PutTopologyResponse, "PUT", `/v1/clusters/${CLUSTER}/topology`, t);

beforeAll(async () => {
  ({ sp, lb, health } = await startPodFleet(fleet, M, pods));
  node = fleet.node("n1", shippedProfile("kubespray-haproxy", "haproxy", health));
  mkdirSync(confDir(), { recursive: true });
  writeFileSync(join(confDir(), "haproxy.cfg"), kubesprayConf());
  mkdirSync(pods, { recursive: true });
  // The pod: a PID namespace (HAProxy's master is its process 1) and a mount namespace where a
  // tmpfs over /usr/local/etc holds the mount point, so nothing is created on this machine.
  pod = spawn(
    "unshare",
    [
      ...["--pid", "--fork", "--mount-proc", "--mount", "--propagation", "private"],
      "sh",
      "-c",
      'mount -t tmpfs tmpfs /usr/local/etc && mkdir /usr/local/etc/haproxy && mount --bind "$0" /usr/local/etc/haproxy && mount -o remount,bind,ro /usr/local/etc/haproxy && exec haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg',
      confDir(),
    ],
    { stdio: "ignore", detached: true },
  );
  master = await waitFor("the pod's first process", () => {
    const r = spawnSync("pgrep", ["-P", String(pod.pid)], { encoding: "utf8" });
    return Number(r.stdout.trim().split("\n")[0]) || undefined;
  });
  writeFileSync(join(pods, "haproxy.pid"), String(master));
  await waitFor(
    "the pod's HAProxy to proxy to m1",
    async () => (await reach("127.0.0.1", lb)) === "m1",
  );
  await fleet.createCluster(CLUSTER);
  await put(topology(["m1", "m2"]));
}, 120_000);
afterAll(async () => {
  if (pod?.exitCode === null) process.kill(-(pod.pid ?? 0), "SIGKILL");
  await fleet.stop();
});

it("takes over the haproxy pod's config in place: checked and reloaded (SIGUSR2) inside the pod", async () => {
  node.join(await fleet.joinToken(CLUSTER), "127.0.74.11");
  node.run();
  await fleet.converged(CLUSTER, ["n1"]);
  expect(readFileSync(join(confDir(), "haproxy.cfg"), "utf8")).toMatch(/^# Managed by halo/);
  await waitFor("m2 behind the pod's HAProxy", async () => (await reached(lb, 8)).has("m2"));
  // A master change reaches the same HAProxy master, reloaded, not restarted.
  await put(topology(["m2", "m3"]));
  await waitFor("m1 gone and m3 in", async () => {
    const seen = await reached(lb, 8);
    return !seen.has("m1") && seen.has("m3");
  });
  expect(pod.exitCode).toBe(null);
  expect(readFileSync(`/proc/${master}/cmdline`, "utf8")).toContain("haproxy");
  expect(node.output()).not.toMatch(/failed at/);
}, 120_000);
