import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nodesOf } from "../../worker/db/nodes.ts";
import { db } from "../../worker/db/client.ts";
import { NodeUpdates } from "../../worker/hub/node-updates.ts";
import { clusterWith, register } from "./helpers.ts";

describe("node updates waiting for the flush", () => {
  it("keep the newest value of each column whole, a cleared error and a shorter list included", async () => {
    const cluster = await clusterWith();
    await register(cluster, "n1", "10.0.1.1");
    const stub = env.HUB.get(env.HUB.idFromName(`node-updates-${cluster}`));
    const row = await runInDurableObject(stub, async (_hub, state) => {
      const u = new NodeUpdates(state.storage.sql);
      u.record(cluster, "n1", { status: "failed", lastError: "the first failure" });
      await u.flush(env.DB);
      u.record(cluster, "n1", {
        status: "failed",
        lastError: "nginx -t: unknown directive",
        probes: { a: { ok: false, ms: 1 }, b: { ok: true, ms: 2 } },
        ejected: [{ master: "m1", since: "x", reason: "unready" }],
      });
      u.record(cluster, "n1", {
        status: "applied",
        lastError: null,
        probes: { a: { ok: true, ms: 3 } },
        ejected: [],
      });
      expect(u.size).toBe(1);
      expect(await u.flush(env.DB)).toBe(1);
      expect(u.size).toBe(0);
      return (await nodesOf(db(env.DB), cluster)).find((r) => r.host === "n1");
    });
    expect(row).toMatchObject({
      status: "applied",
      lastError: null,
      probes: { a: { ok: true, ms: 3 } },
      ejected: [],
    });
  });
});
