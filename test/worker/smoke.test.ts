import { describe, expect, it } from "vitest";
import { api, clusterWith, json } from "./helpers.ts";

describe("smoke", () => {
  it("creates a cluster and serves a node's endpoints", async () => {
    const c = await clusterWith();
    const res = await api("GET", `/v1/clusters/${c}/nodes/n1/endpoints`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      host: "n1",
      groups: ["kube-node", "k8s-cluster"],
      apiserver: { url: "https://10.0.0.1:443", via: "direct" },
      etcd: {
        endpoints: ["http://127.0.0.1:2379"],
        flannel: "http://127.0.0.1:2379",
        via: "proxy",
      },
    });
  });
});
