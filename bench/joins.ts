import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane } from "../scripts/control-plane.ts";
import { JoinTokenResponse } from "../shared/api-schemas.ts";
import type { Topology } from "../shared/topology/schema.ts";
import { syntheticCluster } from "./compile.ts";
import { figure } from "./report.ts";
import { BENCH_TOKEN, benchApi, registerAll } from "./setup.ts";

/**
 * Bytes of wrangler dev's local D1 database file (its write-ahead log is checkpointed at about
 * 4 MB and left out: it is bounded, and not what grows).
 */
function d1Bytes(persist: string): number {
  const dir = join(persist, "v3/d1/miniflare-D1DatabaseObject");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

/**
 * What joins cost the database: `joins` agents registering into a cluster of `size` declared
 * hosts, each join a new topology version, measured as the growth of wrangler dev's local D1.
 */
export async function benchJoins(size = 200, joins = 1000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-joins-"));
  const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: BENCH_TOKEN });
  try {
    const api = benchApi(cp);
    await api("POST", "/v1/clusters", { name: "joins" });
    await api("PUT", "/v1/clusters/joins/topology", syntheticCluster(size));
    const { token } = await api(
      "POST",
      "/v1/clusters/joins/join-tokens",
      { groups: ["kube-node"] },
      JoinTokenResponse,
    );
    const newcomers: Topology = { hosts: {}, groups: {}, vars: {} };
    const names = Array.from({ length: joins }, (_, i) => `joiner${i}`);
    names.forEach((h, i) => {
      newcomers.hosts[h] = { ip: `127.${20 + Math.floor(i / 250)}.${i % 250}.1` };
    });
    const before = d1Bytes(join(dir, "d1"));
    const t0 = performance.now();
    await registerAll(cp, token, newcomers, names);
    const seconds = (performance.now() - t0) / 1000;
    const after = d1Bytes(join(dir, "d1"));
    const mb = Math.round(((after - before) / 1e6 / joins) * 1000 * 10) / 10;
    figure(`D1 growth per 1,000 joins into a ${size}-host cluster`, mb, "MB", 10);
    figure("joins per second (16 at a time)", Math.round(joins / seconds), "per s", null);
  } finally {
    await cp.stop();
    if (!process.env.HALO_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}
