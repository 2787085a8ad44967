import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane } from "../scripts/control-plane.ts";
import { JoinTokenResponse } from "../shared/api-schemas.ts";
import type { Topology } from "../shared/topology/schema.ts";
import { syntheticCluster } from "./compile.ts";
import { figure } from "./report.ts";
import { BENCH_TOKEN, benchApi, registerAll } from "./setup.ts";

/** Bytes of every file under a directory (the D1 database with its WAL). */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : statSync(p).size;
  }
  return total;
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
    const before = bytesUnder(join(dir, "d1"));
    const t0 = performance.now();
    await registerAll(cp, token, newcomers, names);
    const seconds = (performance.now() - t0) / 1000;
    const after = bytesUnder(join(dir, "d1"));
    const mb = Math.round(((after - before) / 1e6 / joins) * 1000 * 10) / 10;
    figure(`D1 growth per 1,000 joins into a ${size}-host cluster`, mb, "MB", 10);
    figure("joins per second (16 at a time)", Math.round(joins / seconds), "per s", null);
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
