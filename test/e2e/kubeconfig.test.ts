import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, reach, waitFor, type Node } from "./fleet.ts";
import { kubeletConfig } from "./kubelet.ts";

const CLUSTER = "kubeconfig";
const PORT = 6443;
/** Two masters with TLS apiserver stand-ins; `first` is m[0], whom non-masters dial directly. */
const topology = (first: "m1" | "m2") => ({
  hosts: { m1: { ip: "127.0.31.1" }, m2: { ip: "127.0.31.2" }, n1: { ip: "127.0.31.11" } },
  groups: {
    "kube-master": { hosts: first === "m1" ? ["m1", "m2"] : ["m2", "m1"], children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1"], children: [] },
  },
  vars: { kube_apiserver_port: PORT },
});

/** kubelet's kubeconfig as kubeadm left it, pointing at an address that is gone. */
const KUBELET = kubeletConfig("https://127.0.31.99:6443", null);

const fleet = new Fleet();
let n1: Node;
const kubeconfig = () => readFileSync(join(n1.root, "etc/kubernetes/kubelet.conf"), "utf8");
const server = () => new URL(/server: (\S+)/.exec(kubeconfig())?.[1] ?? "http://none");

beforeAll(async () => {
  await fleet.start();
  await fleet.apiserver("m1", "127.0.31.1", PORT);
  await fleet.apiserver("m2", "127.0.31.2", PORT);
  await fleet.createCluster(CLUSTER);
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology("m1"));
  const token = await fleet.joinToken(CLUSTER);
  n1 = fleet.node("n1", {
    hosts: { path: "/etc/hosts" },
    endpoints: { path: "/etc/halo/endpoints.json" },
    "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: null, health: null },
    kubeconfig: {
      paths: ["/etc/kubernetes/kubelet.conf", "/etc/kubernetes/kube-proxy.conf"],
      reload: null,
      health: null,
    },
  });
  mkdirSync(join(n1.root, "etc/kubernetes"), { recursive: true });
  writeFileSync(join(n1.root, "etc/kubernetes/kubelet.conf"), KUBELET);
  n1.join(token, "127.0.31.11");
  n1.run();
  await fleet.converged(CLUSTER, ["n1"]);
}, 120_000);
afterAll(() => fleet.stop());

describe("the kubeconfig kind with a real kubeconfig and TLS apiserver stand-ins", () => {
  it("points kubelet's kubeconfig at m[0], keeping the rest, and a client gets through", async () => {
    expect(kubeconfig()).toBe(KUBELET.replace("127.0.31.99", "127.0.31.1"));
    expect(await reach(server().hostname, Number(server().port))).toBe("m1");
    expect(n1.file("etc/kubernetes/kube-proxy.conf")).toBeNull();
  });

  it("follows a change of the first master", async () => {
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology("m2"));
    await fleet.explain(waitFor("kubelet.conf names m2", () => server().hostname === "127.0.31.2"));
    expect(await reach(server().hostname, Number(server().port))).toBe("m2");
    expect(kubeconfig()).toBe(KUBELET.replace("127.0.31.99", "127.0.31.2"));
  });
});
