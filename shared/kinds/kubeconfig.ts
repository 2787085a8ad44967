import * as z from "zod/mini";
import { renderKubeconfigServer, setKubeconfigServer } from "../render/kubeconfig.ts";
import { KubeletServerUrl } from "./fields.ts";
import { defineKind } from "./types.ts";

const Spec = z.strictObject({ server: KubeletServerUrl });

/**
 * `kubeconfig`: the `server:` of this node's kubeconfig files (kubelet's, kube-proxy's) set to
 * its apiserver URL, the one the Kargo endpoint table gives it. A listed file that does not exist yet
 * (before kubeadm joins the node) is skipped, never created.
 */
export const kubeconfigKind = defineKind({
  kind: "kubeconfig",
  movesClient: true,
  optIn: true,
  spec: Spec,
  select: (r) => (r.inCluster ? { server: r.endpoints.apiserver.url } : null),
  render: (spec) => renderKubeconfigServer(spec.server),
  merge: { into: setKubeconfigServer, remove: (current) => current },
  onlyExisting: true,
  // Parsed by the agent itself: a kubeconfig must still be YAML with its clusters after the edit.
  parseCheck: "kubeconfig",
  defaults: {
    paths: ["/etc/kubernetes/kubelet.conf"],
    check: null,
    reload: "systemctl restart kubelet",
    retire: null,
    health: "http://127.0.0.1:10248/healthz",
  },
});
