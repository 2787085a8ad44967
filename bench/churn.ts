import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane } from "../scripts/control-plane.ts";
import { syntheticCluster } from "./compile.ts";
import { figure } from "./report.ts";
import { NodeList, PutTopologyResponse } from "../shared/api-schemas.ts";
import { benchApi, BENCH_TOKEN } from "./setup.ts";
import { benchSims, type BenchSims } from "./sim-fleet.ts";

/**
 * Operators faster than rollouts: `agents` agents, one topology change per second for
 * `seconds` s, under the default policy (rollouts supersede each other) and all-at-once. Checks
 * the end state (the last version everywhere), that no node went back to an older version,
 * and times the settle after the last change.
 */
export async function benchChurn(agents = 1000, seconds = 60, processes = 4): Promise<void> {
  for (const [name, policy] of [
    ["default policy", {}],
    ["all-at-once", { canary: 0, waves: ["100%"], bakeSeconds: 0 }],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), "halo-churn-"));
    const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: BENCH_TOKEN });
    let sims: BenchSims | null = null;
    try {
      const api = benchApi(cp);
      // They reconnect as real agents do: a socket dropped under load is part of the story.
      sims = await benchSims(cp, api, dir, "churn", policy, agents, processes, {
        SIM_RECONNECT: "1",
      });
      let last = 0;
      for (let i = 1; i <= seconds; i++) {
        const t0 = Date.now();
        const t = syntheticCluster(agents + 3, {
          loadbalancer_apiserver_localhost: true,
          loadbalancer_apiserver_healthcheck_port: 9000 + i,
        });
        last = (await api("PUT", "/v1/clusters/churn/topology", t, PutTopologyResponse)).version;
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t0))));
      }
      const changesEnded = Date.now();
      const deadline = Date.now() + 300_000;
      for (;;) {
        const { nodes } = await api("GET", "/v1/clusters/churn/nodes", undefined, NodeList);
        const on = nodes.filter(
          (n) => n.host.startsWith("node") && n.status === "applied" && n.applied?.version === last,
        ).length;
        if (on === agents || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const settled = Date.now() - changesEnded;
      let backwards = 0;
      let onLast = 0;
      for (const versions of sims.acked.values()) {
        if (versions.at(-1) === last) onLast++;
        if (versions.some((v, i) => i > 0 && v < (versions[i - 1] ?? 0))) backwards++;
      }
      console.log(
        `churn, ${name}: ${agents} agents, ${seconds} changes 1 s apart; last version ${last}`,
      );
      figure(`churn ${agents} (${name}): last change -> every node on it`, settled, "ms", null);
      figure(
        `churn ${agents} (${name}): nodes not on the last version`,
        agents - onLast,
        "nodes",
        0,
      );
      figure(
        `churn ${agents} (${name}): nodes sent an older version after a newer one`,
        backwards,
        "nodes",
        0,
      );
      const back = sims.lines.filter((l) => l.startsWith("back ")).length;
      figure(`churn ${agents} (${name}): sockets dropped and reconnected`, back, "sockets", null);
    } finally {
      for (const p of sims?.procs ?? []) p.kill("SIGKILL");
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
