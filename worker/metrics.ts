import { family } from "../shared/prometheus.ts";
import { ROLLOUT_STATES } from "../shared/rollout.ts";
import type { certificateGauges } from "../shared/tls.ts";

const STATUSES = ["applied", "pending", "failed", "registered", "unregistered"];

interface NodeView {
  status: string;
  connected: boolean;
  drift: string[];
  apiserver: { ok: boolean | null };
}

/** The fleet's gauges for one cluster, with `halo_` names. */
export function fleetMetrics(
  cluster: string,
  nodes: NodeView[],
  unreachable: number,
  rollout: string | null,
  certs: ReturnType<typeof certificateGauges> = { expiry: [], covered: [] },
): string {
  const c = { cluster };
  const count = (f: (n: NodeView) => boolean) => nodes.filter(f).length;
  return [
    family(
      "halo_nodes",
      "Nodes by status (applied, pending, failed, registered, unregistered).",
      "gauge",
      STATUSES.map((status) => ({
        labels: { ...c, status },
        value: count((n) => n.status === status),
      })),
    ),
    family("halo_nodes_connected", "Nodes whose agent is connected now.", "gauge", [
      { labels: c, value: count((n) => n.connected) },
    ]),
    family(
      "halo_nodes_drifted",
      "Nodes whose managed files differ from what they applied.",
      "gauge",
      [{ labels: c, value: count((n) => n.drift.length > 0) }],
    ),
    family(
      "halo_nodes_apiserver_unreachable",
      "Nodes whose own path to the apiserver failed its last probe.",
      "gauge",
      [{ labels: c, value: count((n) => n.apiserver.ok === false) }],
    ),
    family(
      "halo_unreachable_targets",
      "Probe targets that at least one node reports unreachable.",
      "gauge",
      [{ labels: c, value: unreachable }],
    ),
    family(
      "halo_rollout_state",
      "1 for the state of the cluster's newest rollout.",
      "gauge",
      ROLLOUT_STATES.map((state) => ({
        labels: { ...c, state },
        value: rollout === state ? 1 : 0,
      })),
    ),
    family(
      "halo_apiserver_cert_expiry_seconds",
      "Seconds until each master's observed serving certificate expires.",
      "gauge",
      certs.expiry.map((e) => ({ labels: { ...c, master: e.master }, value: e.seconds })),
    ),
    family(
      "halo_apiserver_cert_covered",
      "1 when a master's observed certificate covers a name nodes reach it by, else 0.",
      "gauge",
      certs.covered.map((e) => ({
        labels: { ...c, master: e.master, name: e.name },
        value: e.value,
      })),
    ),
  ].join("");
}
