import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { freePort } from "../../scripts/control-plane.ts";
import { reach, type Fleet } from "./fleet.ts";

/** The ports of a Kubespray node in these tests (6443, 8081 and the LB port on a real one). */
export interface PodPorts {
  /** kube_apiserver_port */
  sp: number;
  /** loadbalancer_apiserver_port */
  lb: number;
  /** loadbalancer_apiserver_healthcheck_port */
  health: number;
}

/**
 * Starts a pod test's fleet: the crictl stand-in on PATH (its pods under `pods`), free ports,
 * and an apiserver stand-in on each master's address.
 */
export async function startPodFleet(
  fleet: Fleet,
  masters: Record<string, string>,
  pods: string,
): Promise<PodPorts> {
  process.env.PATH = `${resolve("test/e2e/bin")}:${process.env.PATH}`;
  process.env.CRICTL_STANDIN_DIR = pods;
  await fleet.start();
  const ports = { sp: await freePort(), lb: await freePort(), health: await freePort() };
  for (const [name, address] of Object.entries(masters))
    await fleet.apiserver(name, address, ports.sp);
  return ports;
}

/** A Kubespray topology: `masters` (the first is etcd) and node n1 behind its localhost LB. */
export function podTopology(
  addresses: Record<string, string>,
  masters: string[],
  n1: string,
  ports: PodPorts,
  vars: Record<string, unknown> = {},
) {
  return {
    hosts: {
      ...Object.fromEntries(masters.map((m) => [m, { ip: addresses[m] }])),
      n1: { ip: n1 },
    },
    groups: {
      kube_control_plane: { hosts: masters },
      etcd: { hosts: masters.slice(0, 1) },
      kube_node: { hosts: ["n1"] },
      k8s_cluster: { children: ["kube_control_plane", "kube_node"] },
    },
    vars: {
      kube_apiserver_port: ports.sp,
      loadbalancer_apiserver_port: ports.lb,
      loadbalancer_apiserver_healthcheck_port: ports.health,
      ...vars,
    },
  };
}

/** A shipped agent profile with this test's health port instead of 8081; other kinds' default paths. */
export function shippedProfile(
  name: "kubespray-nginx" | "kubespray-haproxy",
  kind: "nginx" | "haproxy",
  health: number,
): Record<string, unknown> {
  const doc = parse(readFileSync(`agent/profiles/${name}.yaml`, "utf8")) as {
    artifacts: Record<string, Record<string, unknown> | null>;
  };
  const k = doc.artifacts[kind] ?? {};
  return {
    ...doc.artifacts,
    [kind]: { ...k, health: String(k.health).replace(":8081/", `:${health}/`) },
    endpoints: { path: "/etc/halo/endpoints.json" },
  };
}

/** The masters `times` connections through the node's LB reached, by the name each answered. */
export async function reached(lb: number, times: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < times; i++) seen.add(await reach("127.0.0.1", lb));
  return seen;
}
