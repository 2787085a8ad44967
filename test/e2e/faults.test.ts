import { mkdirSync, rmSync } from "node:fs";
import { NodeList, PutTopologyResponse } from "../../shared/api-schemas.ts";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, waitFor, type Node } from "./fleet.ts";
import { plainNode } from "./nginx.ts";

const CLUSTER = "faults";
const topology = (port: number) => ({
  hosts: { m1: { ip: "127.0.0.61" }, n1: { ip: "127.0.0.62" }, n2: { ip: "127.0.0.63" } },
  groups: {
    "kube-master": { hosts: ["m1"], children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1", "n2"], children: [] },
  },
  vars: { kube_apiserver_port: port },
});

const fleet = new Fleet();
let nodes: Node[] = [];

/** Each node's endpoints file parses and names the expected port: nothing torn, nothing lost. */
function expectPort(port: number) {
  for (const n of nodes.filter((x) => x.host !== "m1")) {
    expect(JSON.parse(n.file("etc/halo/endpoints.json") ?? "null").apiserver.url).toBe(
      `https://127.0.0.61:${port}`,
    );
    expect(n.file("etc/hosts")).toMatch(
      /^127\.0\.0\.1 localhost\n127\.0\.1\.1 n\d\n# BEGIN halo managed block[^\n]*\n# END halo managed block\n$/,
    );
  }
}

beforeAll(async () => {
  await fleet.start();
  await fleet.createCluster(CLUSTER);
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(6443));
  const token = await fleet.joinToken(CLUSTER);
  nodes = ["m1", "n1", "n2"].map((h) => plainNode(fleet, h));
  nodes.forEach((n, i) => n.join(token, `127.0.0.6${i + 1}`));
  nodes.forEach((n) => n.run());
  await fleet.converged(CLUSTER, ["m1", "n1", "n2"]);
}, 120_000);
afterAll(() => fleet.stop());

describe("faults", () => {
  it("an agent killed while a change lands catches up when it restarts", async () => {
    const n1 = nodes[1]!;
    await n1.kill();
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(7443));
    await fleet.converged(CLUSTER, ["n2"]);
    await waitFor("n1 shown disconnected and behind", async () => {
      const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
      const n = body.nodes.find((x) => x.host === "n1");
      return n?.status === "pending" && !n.connected;
    });
    n1.run();
    await fleet.converged(CLUSTER, ["n1", "n2"]);
    expectPort(7443);
  });

  it("agents reconnect after the control plane restarts, and the next change reaches them all", async () => {
    await fleet.explain(fleet.restartControlPlane());
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(8443));
    await fleet.converged(CLUSTER, ["m1", "n1", "n2"], 45_000);
    expectPort(8443);
    const rows = await waitFor(
      "every agent reconnected",
      async () => {
        const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
        return body.nodes.every((n) => n.connected) && body.nodes;
      },
      60_000,
    );
    expect(rows.map((n) => [n.host, n.connected, n.applied?.version])).toEqual([
      ["m1", true, 1],
      ["n1", true, 3],
      ["n2", true, 3],
    ]);
  });

  it("an I/O error fails the apply visibly, and the agent applies the next change once it is fixed", async () => {
    const n2 = nodes[2]!;
    const endpoints = join(n2.root, "etc/halo/endpoints.json");
    rmSync(endpoints);
    mkdirSync(endpoints);
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(9443));
    const reverted = await fleet.rollout(CLUSTER, ["reverted"]);
    expect(reverted).toMatchObject({ state: "reverted" });
    const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
    expect(body.nodes.find((n) => n.host === "n2")?.lastError).toMatch(/^stage: EISDIR/);
    expect(n2.agent?.exitCode).toBeNull();
    rmSync(endpoints, { recursive: true });
    // The same change again: the fleet is not on it, so it is rolled out again, and n2 takes it.
    const again = await fleet.call(
      PutTopologyResponse,
      "PUT",
      `/v1/clusters/${CLUSTER}/topology`,
      topology(9443),
    );
    expect(again.body.retried).toBe(true);
    await fleet.rollout(CLUSTER, ["completed"]);
    await fleet.converged(CLUSTER, ["n1", "n2"]);
    expectPort(9443);
  });
});
