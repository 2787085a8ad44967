import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "../../worker/db/client.ts";
import { prune } from "../../worker/db/retention.ts";
import { rollouts, topologyVersions } from "../../worker/db/schema.ts";
import { api, json, TOPOLOGY, uniqueCluster } from "./helpers.ts";

const d = () => db((env as unknown as { DB: D1Database }).DB);

async function versions(c: string): Promise<number[]> {
  const rows = await d()
    .select({ version: topologyVersions.version })
    .from(topologyVersions)
    .where(eq(topologyVersions.cluster, c))
    .all();
  return rows.map((r) => r.version).sort((a, b) => a - b);
}

describe("history a cluster keeps", () => {
  it("stores each topology version compressed and reads it back whole", async () => {
    const c = uniqueCluster("h");
    await api("POST", "/v1/clusters", { body: { name: c } });
    await api("PUT", `/v1/clusters/${c}/topology`, { body: TOPOLOGY });
    const row = await d()
      .select({ topology: topologyVersions.topology })
      .from(topologyVersions)
      .where(and(eq(topologyVersions.cluster, c), eq(topologyVersions.version, 1)))
      .get();
    expect(row?.topology.startsWith("gz:")).toBe(true);
    expect(row?.topology.length).toBeLessThan(JSON.stringify(TOPOLOGY).length);
    const t = await json<{ topology: unknown }>(await api("GET", `/v1/clusters/${c}/topology`));
    expect(t.topology).toEqual(TOPOLOGY);
  });

  it("drops versions and rollouts past the retention, keeping what is still named", async () => {
    const c = uniqueCluster("h");
    await api("POST", "/v1/clusters", { body: { name: c } });
    for (let i = 0; i < 10; i++)
      await api("PUT", `/v1/clusters/${c}/topology`, {
        body: { ...TOPOLOGY, vars: { halo_note: `v${i + 1}` } },
      });
    expect(await versions(c)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await prune(d(), c, { versions: 3, rollouts: 2, auditDays: 90 });
    const kept = await versions(c);
    const named = await d().select().from(rollouts).where(eq(rollouts.cluster, c)).all();
    expect(named.length).toBeLessThanOrEqual(2);
    const stillNamed = new Set(named.flatMap((r) => [r.fromVersion, r.toVersion]));
    // The newest three, and any version a kept rollout or the stable version names.
    expect(kept.filter((v) => v < 8).every((v) => stillNamed.has(v) || v === 10)).toBe(true);
    expect(kept).toEqual(expect.arrayContaining([8, 9, 10]));
    expect(kept.length).toBeLessThan(10);
    const gone = (await api("POST", `/v1/clusters/${c}/rollback`, { body: { version: 1 } })).status;
    expect(gone).toBe(404);
  });
});
