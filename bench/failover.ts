import { spawn } from "node:child_process";
import { Agent, request } from "node:https";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { CHECK_EVERY_MS } from "../shared/ejection.ts";
import { DrainStarted, PutTopologyResponse } from "../shared/api-schemas.ts";
import { ApiserverStandin, type StandinMode } from "../scripts/apiserver-standin.ts";
import { Fleet, waitFor, type Node } from "../test/e2e/fleet.ts";
import { haproxyNode, nginxNode, SANDBOXED } from "../test/e2e/nginx.ts";
import { figure } from "./report.ts";
import { once, recovery, sample, streamOn, type Lb, type Sample } from "./traffic.ts";

/**
 * Failover as a node's clients see it, through real nginx and HAProxy run by real agents:
 * from the moment a master turns unready (500), hangs (TLS up, no answer) or refuses, how long
 * new requests through the node's LB keep failing, the share that failed, how long a stream on
 * a wedged master stays open, what a drain costs; the same for the external LB; and what the
 * /readyz checks cost the masters at 5,000 nodes.
 */
const SP = 16643;
const M = { m1: "127.0.0.81", m2: "127.0.0.82" };
const LOCAL = {
  nginx: { host: "n1", ip: "127.0.0.86", port: 26643, health: 28281 },
  haproxy: { host: "n2", ip: "127.0.0.87", port: 26644, health: 28282 },
} as const;
const VIP = { address: "127.0.0.90", port: 18643, health: 28283 };
const SAMPLE_MS = 12_000;

const secs = (ms: number) => Math.round(ms / 10) / 100;
const pct = (s: Sample[], n: number) => Math.round((1000 * n) / Math.max(1, s.length)) / 10;

async function healed(masters: ApiserverStandin[], port: Lb): Promise<void> {
  for (const m of masters) await m.set("ok");
  await waitFor(
    "both masters reached",
    async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const r = await once(port);
        if (r.ok) seen.add(r.body);
      }
      return seen.size === 2;
    },
    30_000,
  );
}

/** One fault through one LB: the time until new requests stopped failing, and their share. */
async function fault(
  label: string,
  masters: ApiserverStandin[],
  port: Lb,
  mode: StandinMode,
): Promise<void> {
  await healed(masters, port);
  await masters[1]?.set(mode);
  const s = await sample(port, SAMPLE_MS);
  const r = recovery(s);
  figure(`failover ${label} ${mode}: new requests failing for`, secs(r.lastFailureMs), "s", 5);
  figure(
    `failover ${label} ${mode}: requests failed in ${SAMPLE_MS / 1000} s`,
    pct(s, r.failed),
    "%",
    null,
  );
}

async function stream(label: string, masters: ApiserverStandin[], port: number): Promise<void> {
  await healed(masters, port);
  const st = await streamOn(port, "m2");
  const t0 = performance.now();
  await masters[1]?.set("hung");
  const closed = await Promise.race([
    st.closed,
    new Promise<number>((r) => setTimeout(() => r(t0 + 60_000), 60_000)),
  ]);
  st.destroy();
  figure(`failover ${label}: stream on a wedged master closed after`, secs(closed - t0), "s", 10);
}

async function drain(
  fleet: Fleet,
  cluster: string,
  masters: ApiserverStandin[],
  ports: Record<string, number>,
): Promise<void> {
  for (const p of Object.values(ports)) await healed(masters, p);
  const during = Promise.all(Object.values(ports).map((p) => sample(p, SAMPLE_MS)));
  // Sampling starts as the POST is sent: the figure runs from there.
  await fleet.call(DrainStarted, "POST", `/v1/clusters/${cluster}/hosts/m2/drain`, {
    graceSeconds: 10,
  });
  const results = await during;
  for (const [i, label] of Object.keys(ports).entries()) {
    const s = results[i] ?? [];
    const last = Math.max(0, ...s.filter((x) => x.body === "m2").map((x) => x.at));
    figure(`drain ${label}: new requests still reaching the master for`, secs(last), "s", 5);
    figure(
      `drain ${label}: requests failed during the drain`,
      s.filter((x) => !x.ok).length,
      "requests",
      0,
    );
  }
  await fleet.api("DELETE", `/v1/clusters/${cluster}/hosts/m2/drain`);
}

/** CPU a stand-in spends on kept-alive /readyz checks, in a process of its own. */
async function checkCost(): Promise<{ cpuMsPer1000: number }> {
  // Node itself (not the tsx wrapper) so that the pid is the stand-in's.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/standin-main.ts", "c1", "127.0.0.95", "16690"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((r) => createInterface({ input: child.stdout! }).once("line", () => r()));
  const ticks = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return Number(f[11]) + Number(f[12]);
  };
  const clients = Array.from(
    { length: 100 },
    () => new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }),
  );
  const get = (agent: Agent) =>
    new Promise<void>((done) => {
      const req = request({ host: "127.0.0.95", port: 16690, path: "/readyz", agent }, (res) => {
        res.resume();
        res.on("end", () => done());
      });
      req.on("error", () => done());
      req.end();
    });
  await Promise.all(clients.map(get)); // handshakes, not counted
  const before = ticks();
  let checks = 0;
  const until = performance.now() + 4000;
  await Promise.all(
    clients.map(async (a) => {
      while (performance.now() < until) {
        await get(a);
        checks++;
      }
    }),
  );
  const cpuMs = (ticks() - before) * 10;
  for (const a of clients) a.destroy();
  child.kill();
  return { cpuMsPer1000: Math.round((cpuMs * 1000 * 10) / checks) / 10 };
}

export async function benchFailover(): Promise<void> {
  const fleet = new Fleet();
  const masters = Object.entries(M).map(([n, ip]) => new ApiserverStandin(n, ip, SP));
  try {
    await fleet.start();
    for (const m of masters) await m.start();
    const hosts = { m1: { ip: M.m1 }, m2: { ip: M.m2 }, e1: { ip: "127.0.0.83" } };
    const groups = (nodes: string[]) => ({
      "kube-master": { hosts: ["m1", "m2"], children: [] },
      etcd: { hosts: ["e1"], children: [] },
      "kube-node": { hosts: nodes, children: [] },
    });
    // The localhost LBs: one node on nginx, one on HAProxy.
    await fleet.createCluster("local");
    await fleet.call(PutTopologyResponse, "PUT", "/v1/clusters/local/topology", {
      hosts: {
        ...hosts,
        ...Object.fromEntries(
          (["nginx", "haproxy"] as const).map((lb) => [
            LOCAL[lb].host,
            {
              ip: LOCAL[lb].ip,
              vars: {
                kube_apiserver_port: LOCAL[lb].port,
                loadbalancer_apiserver_healthcheck_port: LOCAL[lb].health,
                loadbalancer_apiserver_type: lb,
              },
            },
          ]),
        ),
      },
      groups: groups(["n1", "n2"]),
      vars: { loadbalancer_apiserver_localhost: true, kube_apiserver_port: SP },
    });
    // The external LB: HAProxy on an lb host, in a cluster of its own (it overrides localhost LBs).
    await fleet.createCluster("external");
    await fleet.call(PutTopologyResponse, "PUT", "/v1/clusters/external/topology", {
      hosts: { ...hosts, n3: { ip: "127.0.0.88" }, lb1: { ip: "127.0.0.89" } },
      groups: { ...groups(["n3"]), lb: { hosts: ["lb1"], children: [] } },
      vars: {
        kube_apiserver_port: SP,
        loadbalancer_apiserver: { address: VIP.address, port: VIP.port },
        loadbalancer_apiserver_healthcheck_port: VIP.health,
      },
    });
    const nodes: Node[] = [
      nginxNode(fleet, "n1", LOCAL.nginx.health),
      haproxyNode(fleet, "n2", LOCAL.haproxy.health, SANDBOXED),
    ];
    const local = await fleet.joinToken("local");
    nodes[0]?.join(local, LOCAL.nginx.ip);
    nodes[1]?.join(local, LOCAL.haproxy.ip);
    const lb1 = haproxyNode(fleet, "lb1", VIP.health);
    lb1.join(await fleet.joinToken("external"), "127.0.0.89");
    for (const n of [...nodes, lb1]) n.run();
    await fleet.converged("local", ["n1", "n2"], 60_000);
    await fleet.converged("external", ["lb1"], 60_000);

    for (const lb of ["nginx", "haproxy"] as const) {
      for (const mode of ["unready", "hung", "stopped"] as const)
        await fault(`${lb} (localhost LB)`, masters, LOCAL[lb].port, mode);
      await stream(`${lb} (localhost LB)`, masters, LOCAL[lb].port);
    }
    for (const mode of ["unready", "hung"] as const)
      await fault("HAProxy (external LB)", masters, `${VIP.address}:${VIP.port}`, mode);
    await drain(fleet, "local", masters, { nginx: LOCAL.nginx.port, haproxy: LOCAL.haproxy.port });

    // The nginx agents' checks, plus the live view's probes at their default 10 s.
    const perMaster = Math.round(5000 / (CHECK_EVERY_MS / 1000) + 5000 / 10);
    const cost = await checkCost();
    figure("readyz checks each master receives at 5,000 nginx nodes", perMaster, "per s", null);
    figure("stand-in CPU per 1,000 kept-alive /readyz checks", cost.cpuMsPer1000, "ms", null);
    figure(
      "stand-in CPU for the checks of 5,000 nodes",
      Math.round((perMaster * cost.cpuMsPer1000) / 100) / 100,
      "% of one core",
      null,
    );
  } finally {
    for (const m of masters) await m.stop();
    await fleet.stop();
  }
}
