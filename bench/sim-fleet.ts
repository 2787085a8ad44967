import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { ControlPlane } from "../scripts/control-plane.ts";
import { syntheticCluster } from "./compile.ts";
import { BundleSchema, JoinTokenResponse } from "../shared/api-schemas.ts";
import { registerAll, type Api } from "./setup.ts";

const BUN = resolve("node_modules/.bin/bun");

/** `agents` simulated agents (bench/sim-agents.ts) over `processes` Bun processes, all connected. */
export interface BenchSims {
  hosts: string[];
  /** every line the simulators printed after "ready", as "<line>" */
  lines: string[];
  /** each host's acked versions, in order */
  acked: Map<string, number[]>;
  procs: ChildProcess[];
}

export async function benchSims(
  cp: ControlPlane,
  api: Api,
  dir: string,
  cluster: string,
  policy: object,
  agents: number,
  processes: number,
  env: Record<string, string> = {},
): Promise<BenchSims> {
  await api("POST", "/v1/clusters", { name: cluster, rolloutPolicy: policy });
  const topology = syntheticCluster(agents + 3, { loadbalancer_apiserver_localhost: true });
  await api("PUT", `/v1/clusters/${cluster}/topology`, topology);
  const { token } = await api("POST", `/v1/clusters/${cluster}/join-tokens`, {}, JoinTokenResponse);
  const hosts = Object.keys(topology.hosts).filter((h) => h.startsWith("node"));
  const creds = await registerAll(cp, token, topology, hosts);
  const bundle = await api(
    "GET",
    `/v1/clusters/${cluster}/nodes/${hosts[0]}/config`,
    undefined,
    BundleSchema,
  );
  const sims: BenchSims = {
    hosts,
    lines: [],
    acked: new Map(hosts.map((h) => [h, []])),
    procs: [],
  };
  const per = Math.ceil(creds.length / processes);
  const ready: Promise<void>[] = [];
  for (let p = 0; p < processes; p++) {
    const file = join(dir, `${cluster}-sims-${p}.json`);
    const slice = creds.slice(p * per, (p + 1) * per);
    writeFileSync(
      file,
      JSON.stringify(slice.map((c) => ({ ...c, version: bundle.version, hash: bundle.hash }))),
    );
    const child = spawn(BUN, ["bench/sim-agents.ts", cp.url, file], {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, ...env },
    });
    sims.procs.push(child);
    ready.push(
      new Promise((res) =>
        createInterface({ input: child.stdout! }).on("line", (line) => {
          if (line === "ready") return res();
          sims.lines.push(line);
          if (line.startsWith("attempt ") || line.startsWith("back ")) return;
          const [host, , version] = line.split(" ");
          sims.acked.get(host ?? "")?.push(Number(version));
        }),
      ),
    );
  }
  await Promise.all(ready);
  return sims;
}
