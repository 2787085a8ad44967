import { describe, expect, it } from "vitest";
import { renderKubeconfigServer, setKubeconfigServer } from "../../shared/render/kubeconfig.ts";
import { cluster, plans } from "../support/topologies.ts";

/** A kubelet kubeconfig as kubeadm writes it, with a comment and a second, quoted cluster. */
const KUBELET = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://10.0.0.9:6443   # set by kubeadm
  name: default-cluster
- cluster:
    insecure-skip-tls-verify: true
    server: "https://old-lb:8383"
  name: other
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {}
users:
- name: default-auth
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
`;

describe("the kubeconfig kind", () => {
  it("sets every cluster's server and keeps every other byte", () => {
    const out = setKubeconfigServer(KUBELET, renderKubeconfigServer("https://localhost:6443"));
    expect(out).toBe(
      KUBELET.replace("https://10.0.0.9:6443", "https://localhost:6443").replace(
        '"https://old-lb:8383"',
        '"https://localhost:6443"',
      ),
    );
  });

  it("is given the node's apiserver URL from the Kargo endpoint table", () => {
    const p = plans(cluster({ loadbalancer_apiserver_localhost: true }));
    const spec = (h: string) =>
      p.get(h)?.bundle.artifacts.find((a) => a.kind === "kubeconfig")?.spec;
    expect(spec("n1")).toEqual({ server: "https://localhost:443" });
    expect(spec("m1")).toEqual({ server: "http://localhost:8080" });
    expect(spec("e3")).toBeUndefined();
  });
});
