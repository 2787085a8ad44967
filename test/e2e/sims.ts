import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { syntheticCluster } from "../../bench/compile.ts";
import { registerAll } from "../../bench/setup.ts";
import { BUN, type Fleet } from "./fleet.ts";

/** A cluster of `agents` simulated agents on real WebSockets (bench/sim-agents.ts), one Bun process. */
export interface SimFleet {
  hosts: string[];
  /** each host's acked versions, in order */
  acked: Map<string, number[]>;
  /** every line the simulator printed after "ready", with the time it was read */
  lines: string[];
  child: ChildProcess;
}

export async function simFleet(
  fleet: Fleet,
  cluster: string,
  policy: object,
  agents: number,
  env: Record<string, string> = {},
): Promise<SimFleet> {
  await fleet.api("POST", "/v1/clusters", { name: cluster, rolloutPolicy: policy });
  const topology = syntheticCluster(agents + 3, { loadbalancer_apiserver_localhost: true });
  await fleet.api("PUT", `/v1/clusters/${cluster}/topology`, topology);
  const { body } = await fleet.api<{ token: string }>(
    "POST",
    `/v1/clusters/${cluster}/join-tokens`,
    {},
  );
  const hosts = Object.keys(topology.hosts).filter((h) => h.startsWith("node"));
  const creds = await registerAll(fleet.cp, body.token, topology, hosts);
  // They start on what they should have: a hello with it is answered `current`.
  const { body: bundle } = await fleet.api<{ version: number; hash: string }>(
    "GET",
    `/v1/clusters/${cluster}/nodes/${hosts[0]}/config`,
  );
  const file = join(fleet.dir, `${cluster}-sims.json`);
  writeFileSync(
    file,
    JSON.stringify(creds.map((c) => ({ ...c, hash: bundle.hash, version: bundle.version }))),
  );
  const child = spawn(BUN, ["bench/sim-agents.ts", fleet.cp.url, file], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  fleet.onStop(() => void child.kill("SIGKILL"));
  const sims: SimFleet = { hosts, acked: new Map(hosts.map((h) => [h, []])), lines: [], child };
  await new Promise<void>((ready) =>
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line === "ready") return ready();
      sims.lines.push(line);
      const [host, , version] = line.split(" ");
      if (version !== undefined && !line.startsWith("attempt") && !line.startsWith("back"))
        sims.acked.get(host ?? "")?.push(Number(version));
    }),
  );
  return sims;
}
