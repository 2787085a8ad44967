import { spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, waitFor, type Node } from "./fleet.ts";

const CLUSTER = "etcd";
const MEMBERS = [
  { name: "e1", ip: "127.0.0.51" },
  { name: "e2", ip: "127.0.0.52" },
  { name: "e3", ip: "127.0.0.53" },
];

const TOPOLOGY = {
  hosts: {
    m1: { ip: "127.0.0.50" },
    n1: { ip: "127.0.0.54" },
    ...Object.fromEntries(MEMBERS.map((m) => [m.name, { ip: m.ip }])),
  },
  groups: {
    "kube-master": { hosts: ["m1"], children: [] },
    etcd: { hosts: MEMBERS.map((m) => m.name), children: [] },
    "kube-node": { hosts: ["n1"], children: [] },
  },
  vars: {},
};

const fleet = new Fleet();
const members: Record<string, ChildProcess> = {};
let n1: Node;

function startMember(m: (typeof MEMBERS)[number]): ChildProcess {
  const cluster = MEMBERS.map((x) => `${x.name}=http://${x.ip}:2380`).join(",");
  return fleet.spawn("etcd", [
    "--name",
    m.name,
    "--data-dir",
    join(fleet.dir, "etcd", m.name),
    "--listen-client-urls",
    `http://${m.ip}:2379`,
    "--advertise-client-urls",
    `http://${m.ip}:2379`,
    "--listen-peer-urls",
    `http://${m.ip}:2380`,
    "--initial-advertise-peer-urls",
    `http://${m.ip}:2380`,
    "--initial-cluster",
    cluster,
    "--initial-cluster-state",
    "new",
    "--initial-cluster-token",
    "halo-e2e",
  ]);
}

const etcdctl = (...args: string[]) =>
  spawnSync(
    "etcdctl",
    ["--endpoints=http://127.0.0.1:2379", "--dial-timeout=2s", "--command-timeout=3s", ...args],
    {
      encoding: "utf8",
      env: { ...process.env, ETCDCTL_API: "3" },
    },
  );

/** The node's etcd proxy unit, played by a script: (re)start `etcd gateway` from the env file the agent wrote. */
function proxiedNode(): Node {
  const root = join(fleet.dir, "nodes", "n1");
  mkdirSync(root, { recursive: true });
  const pid = join(root, "gateway.pid");
  const restart = join(root, "restart-etcd-proxy.sh");
  writeFileSync(
    restart,
    [
      "set -e",
      `set -a; . ${join(root, "etc/halo/etcd-proxy.env")}; set +a`,
      `if [ -s ${pid} ]; then old=$(cat ${pid}); kill $old 2>/dev/null || true; while kill -0 $old 2>/dev/null; do sleep 0.05; done; fi`,
      `etcd gateway start --listen-addr=$ETCD_GATEWAY_LISTEN_ADDR --endpoints=$ETCD_GATEWAY_ENDPOINTS --retry-delay=5s > ${join(root, "gateway.log")} 2>&1 &`,
      `echo $! > ${pid}`,
    ].join("\n"),
  );
  fleet.onStop(() => void spawnSync("sh", ["-c", `[ -s ${pid} ] && kill $(cat ${pid})`]));
  return fleet.node("n1", {
    hosts: { path: "/etc/hosts" },
    endpoints: { path: "/etc/halo/endpoints.json" },
    "etcd-proxy": {
      path: "/etc/halo/etcd-proxy.env",
      check: null,
      reload: `sh ${restart}`,
      health: "tcp://127.0.0.1:2379",
    },
  });
}

beforeAll(async () => {
  await fleet.start();
  for (const m of MEMBERS) members[m.name] = startMember(m);
  await fleet.createCluster(CLUSTER);
  expect((await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, TOPOLOGY)).status).toBe(200);
  const token = await fleet.joinToken(CLUSTER);
  n1 = proxiedNode();
  n1.join(token, "127.0.0.54");
  n1.run();
  await fleet.converged(CLUSTER, ["n1"], 60_000);
}, 120_000);
afterAll(() => fleet.stop());

describe("etcd through the node's etcd proxy, without multiaccess", () => {
  it("gives the node the proxy's endpoint and every member as a backend", () => {
    expect(JSON.parse(n1.file("etc/halo/endpoints.json") ?? "{}").etcd).toEqual({
      endpoints: ["http://127.0.0.1:2379"],
      flannel: "http://127.0.0.1:2379",
      via: "proxy",
    });
    expect(n1.file("etc/halo/etcd-proxy.env")).toContain(
      "ETCD_GATEWAY_ENDPOINTS=127.0.0.51:2379,127.0.0.52:2379,127.0.0.53:2379\n",
    );
  });

  it("serves etcdctl put and get through 127.0.0.1:2379", async () => {
    await waitFor(
      "etcd cluster ready",
      () => etcdctl("put", "halo/probe", "1").status === 0,
      30_000,
    );
    expect(etcdctl("put", "halo/key", "through-the-proxy").status).toBe(0);
    expect(etcdctl("get", "halo/key", "--print-value-only").stdout.trim()).toBe(
      "through-the-proxy",
    );
  });

  it("keeps working with a member stopped", async () => {
    const e1 = members.e1;
    const gone = new Promise((r) => e1?.once("exit", r));
    e1?.kill("SIGTERM");
    await gone;
    await waitFor(
      "a write with e1 down",
      () => etcdctl("put", "halo/after", "still-here").status === 0,
      30_000,
    );
    for (let i = 0; i < 5; i++) {
      expect(etcdctl("get", "halo/after", "--print-value-only").stdout.trim()).toBe("still-here");
    }
  });
});
