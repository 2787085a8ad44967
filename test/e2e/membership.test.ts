import { spawn } from "node:child_process";
import { PutTopologyResponse, TopologyResponse } from "../../shared/api-schemas.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT, BUN, Fleet, waitFor, type Node } from "./fleet.ts";

/** Two masters with TLS apiserver stand-ins on loopback, one etcd member, one declared node. */
const topology = (masters: string[]) => ({
  hosts: {
    ...Object.fromEntries(masters.map((m) => [m, { ip: `127.0.20.${m.slice(1)}` }])),
    e1: { ip: "127.0.20.9" },
    n1: { ip: "127.0.21.1" },
  },
  groups: {
    "kube-master": { hosts: masters, children: [] },
    etcd: { hosts: ["e1"], children: [] },
    "kube-node": { hosts: ["n1"], children: [] },
  },
  vars: { halo_profile: "kargo" },
});

const fleet = new Fleet();
beforeAll(() => fleet.start(), 120_000);
afterAll(() => fleet.stop());

const ARTIFACTS = {
  hosts: { path: "/etc/hosts" },
  endpoints: { path: "/etc/halo/endpoints.json" },
  "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: null, health: null },
};

async function token(cluster: string, body: object = {}): Promise<string> {
  return fleet.joinToken(cluster, body);
}

const apiserverOf = (n: Node) =>
  (JSON.parse(n.file("etc/halo/endpoints.json") ?? "{}") as { apiserver?: { url: string } })
    .apiserver?.url;

describe("membership with real agents", () => {
  it("agents that joined survive a topology push and follow it; a prune revokes them and they stop", async () => {
    await fleet.createCluster("joined");
    await fleet.api("PUT", "/v1/clusters/joined/topology", topology(["m1", "m2"]));
    const t = await token("joined");
    const agents = ["w1", "w2"].map((h, i) => {
      const n = fleet.node(h, ARTIFACTS);
      n.join(t, `127.0.22.${i + 1}`);
      n.run();
      return n;
    });
    await fleet.converged("joined", ["w1", "w2"]);
    expect(agents.map(apiserverOf)).toEqual(["https://127.0.20.1:443", "https://127.0.20.1:443"]);

    // The operator replaces m1 with m3 and pushes an inventory that never mentions w1 and w2.
    const put = await fleet.call(
      PutTopologyResponse,
      "PUT",
      "/v1/clusters/joined/topology",
      topology(["m3", "m2"]),
    );
    expect(put.body.removed).toEqual(["m1"]);
    await fleet.explain(
      waitFor("w1 and w2 follow the new first master", () =>
        agents.every((n) => apiserverOf(n) === "https://127.0.20.3:443"),
      ),
    );
    const topo = await fleet.call(TopologyResponse, "GET", "/v1/clusters/joined/topology");
    expect(topo.body.registered).toEqual(["w1", "w2"]);
    await fleet.converged("joined", ["w1", "w2"]);

    const pruned = await fleet.call(
      PutTopologyResponse,
      "PUT",
      "/v1/clusters/joined/topology?prune=true",
      topology(["m3", "m2"]),
    );
    expect(pruned.body.removed).toEqual(["w1", "w2"]);
    const codes = await Promise.all(
      agents.map(
        (n) =>
          new Promise<number | null>((r) =>
            n.agent?.exitCode !== null ? r(n.agent?.exitCode ?? null) : n.agent.once("exit", r),
          ),
      ),
    );
    expect(codes).toEqual([3, 3]);
    expect(agents[0]?.output()).toContain("revoked this node's credential");
    const cred = JSON.parse(readFileSync(join(agents[0]?.state ?? "", "credential.json"), "utf8"));
    const res = await fetch(`${fleet.cp.url}/v1/agent/config`, {
      headers: { authorization: `Bearer ${cred.nodeToken as string}` },
    });
    expect(res.status).toBe(401);
  });

  it("20 halo-agent joins at once all succeed with distinct credentials", async () => {
    await fleet.createCluster("crowd");
    await fleet.api("PUT", "/v1/clusters/crowd/topology", topology(["m1"]));
    const t = await token("crowd");
    const nodes = Array.from({ length: 20 }, (_, i) => fleet.node(`crowd${i}`, ARTIFACTS));
    const codes = await Promise.all(
      nodes.map(
        (n, i) =>
          new Promise<number | null>((resolve) => {
            const p = spawn(BUN, [
              AGENT,
              "join",
              "--server",
              fleet.cp.url,
              "--token",
              t,
              "--hostname",
              n.host,
              "--ip",
              `127.0.23.${i + 1}`,
              "--state",
              n.state,
            ]);
            p.once("exit", resolve);
          }),
      ),
    );
    expect(codes).toEqual(Array(20).fill(0));
    const tokens = nodes.map(
      (n) => JSON.parse(readFileSync(join(n.state, "credential.json"), "utf8")).nodeToken,
    );
    expect(new Set(tokens).size).toBe(20);
    const topo = await fleet.call(TopologyResponse, "GET", "/v1/clusters/crowd/topology");
    expect(topo.body.registered).toHaveLength(20);
  });

  it("200 registrations at once all succeed", async () => {
    await fleet.createCluster("stampede");
    await fleet.api("PUT", "/v1/clusters/stampede/topology", topology(["m1"]));
    const t = await token("stampede");
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${fleet.cp.url}/v1/register`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            token: t,
            hostname: `s${i}`,
            ip: `127.0.${24 + (i >> 8)}.${(i & 255) + 1}`,
          }),
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { nodeToken?: string },
        })),
      ),
    );
    expect(results.filter((r) => r.status !== 201)).toEqual([]);
    expect(new Set(results.map((r) => r.body.nodeToken)).size).toBe(200);
  }, 120_000);
});
