import { watch } from "node:fs";
import { cpuMs } from "./machine.ts";
import { join } from "node:path";
import { NodeList, PutTopologyResponse } from "../shared/api-schemas.ts";
import { createInterface } from "node:readline";
import { ALL_AT_ONCE, Fleet, type Node } from "../test/e2e/fleet.ts";
import { checkedNginx } from "../test/e2e/nginx.ts";
import { figure } from "./report.ts";

const NODES = 50;
const SP = 16600;
const M = { m1: "127.0.60.1", m2: "127.0.60.2", m3: "127.0.60.3" } as const;
/** Targets: a change on every node's files within 0.5 s; an apply's CPU in the agent. */
const FLEET_TARGET_S = 0.5;
const CPU_TARGET_MS = 40;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

const topology = (masters: Array<keyof typeof M>) => ({
  hosts: {
    ...Object.fromEntries(masters.map((m) => [m, { ip: M[m] }])),
    ...Object.fromEntries(
      Array.from({ length: NODES }, (_, i) => [`n${i}`, { ip: `127.0.61.${i + 1}` }]),
    ),
  },
  groups: {
    "kube-master": { hosts: masters, children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: Array.from({ length: NODES }, (_, i) => `n${i}`), children: [] },
  },
  vars: { kube_apiserver_port: SP, loadbalancer_apiserver_localhost: true },
});

/**
 * A change reaching 50 real agents on this machine, each checking its new nginx.conf with real
 * `nginx -t` (all-at-once policy): seconds from the PUT to the last node's file, and the CPU
 * each agent spent on its apply (user + system, from /proc), median over every apply.
 */
export async function benchApply(rounds = 5): Promise<void> {
  const fleet = new Fleet();
  try {
    await fleet.start();
    // Each master's stand-in in a process of its own, as apiservers are on machines of their own.
    for (const [n, ip] of Object.entries(M)) {
      const p = fleet.spawn(process.execPath, [
        "--import",
        "tsx",
        "bench/standin-main.ts",
        n,
        ip,
        String(SP),
      ]);
      await new Promise<void>((r) => createInterface({ input: p.stdout! }).once("line", () => r()));
    }
    await fleet.createCluster("apply", ALL_AT_ONCE);
    await fleet.call(
      PutTopologyResponse,
      "PUT",
      "/v1/clusters/apply/topology",
      topology(["m1", "m2"]),
    );
    const token = await fleet.joinToken("apply");
    const nodes: Node[] = [];
    for (let i = 0; i < NODES; i++) {
      const root = join(fleet.dir, "nodes", `n${i}`);
      const node = fleet.node(`n${i}`, checkedNginx(join(root, "nginx.pid")));
      node.join(token, `127.0.61.${i + 1}`);
      nodes.push(node);
    }
    for (const n of nodes) n.run();
    await fleet.converged(
      "apply",
      nodes.map((n) => n.host),
      120_000,
    );
    const fleetSeconds: number[] = [];
    const answered: number[] = [];
    const first: number[] = [];
    const perApply: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const next = r % 2 === 0 ? (["m1", "m2", "m3"] as const) : (["m1", "m2"] as const);
      const has = (n: Node) => (n.file("etc/nginx/nginx.conf") ?? "").includes(M.m3);
      // Settled: no apply or check running in any agent.
      await new Promise((res) => setTimeout(res, 3000));
      const before = nodes.map((n) => cpuMs(n.agent?.pid ?? 0));
      const want = next.length === 3;
      // Each node's file, seen the moment it is renamed into place (inotify, no polling that
      // would take CPU from the agents), and checked again every 200 ms in case an event is lost.
      const done = new Map<Node, number>();
      let t0 = 0;
      const see = (n: Node) => {
        if (!done.has(n) && has(n) === want) done.set(n, performance.now() - t0);
      };
      const watchers = nodes.map((n) => watch(join(n.root, "etc/nginx"), () => see(n)));
      t0 = performance.now();
      await fleet.call(
        PutTopologyResponse,
        "PUT",
        "/v1/clusters/apply/topology",
        topology([...next]),
      );
      answered.push(performance.now() - t0);
      while (done.size < nodes.length) {
        for (const n of nodes) see(n);
        if (performance.now() - t0 > 60_000) {
          const { body } = await fleet.call(NodeList, "GET", "/v1/clusters/apply/nodes");
          const pending = nodes.filter((n) => !done.has(n));
          const late = body.nodes.filter((n) => pending.some((p) => p.host === n.host));
          throw new Error(
            `${pending.length} node(s) never changed: ${late.map((n) => `${n.host} ${n.status} ${n.lastError ?? ""}`).join("; ")}\n${pending[0]?.output().slice(-2000)}`,
          );
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      for (const w of watchers) w.close();
      const times = [...done.values()].sort((a, b) => a - b);
      first.push(times[0] ?? NaN);
      fleetSeconds.push((times[times.length - 1] ?? NaN) / 1000);
      await fleet.converged(
        "apply",
        nodes.map((n) => n.host),
        60_000,
      );
      nodes.forEach((n, i) => perApply.push(cpuMs(n.agent?.pid ?? 0) - (before[i] ?? 0)));
    }
    const s = median(fleetSeconds);
    figure(
      `a change on ${NODES} real agents (nginx -t each), PUT to the last file (median of ${rounds}: ${fleetSeconds.map((x) => x.toFixed(2)).join(", ")} s; the PUT answered in ${median(answered).toFixed(0)} ms, the first file at ${median(first).toFixed(0)} ms)`,
      Number(s.toFixed(2)),
      "s",
      FLEET_TARGET_S,
    );
    const c = Number(median(perApply).toFixed(1));
    figure(
      `agent CPU per apply (user+sys, median over ${perApply.length} applies; p90 ${[...perApply].sort((a, b) => a - b)[Math.floor(perApply.length * 0.9)]?.toFixed(1)} ms)`,
      c,
      "ms",
      CPU_TARGET_MS,
    );
  } finally {
    await fleet.stop();
  }
}
