import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startControlPlane } from "../scripts/control-plane.ts";
import { syntheticCluster } from "./compile.ts";
import { figure } from "./report.ts";
import { benchApi, BENCH_TOKEN } from "./setup.ts";

/**
 * The dashboard's cluster page at `size` nodes, in Debian's Chromium: from navigation until
 * every section has rendered (its five API calls included), and the page's own measure from
 * its first request to the last section drawn. Target: under 1 s at 1,000 nodes.
 */
export async function benchDashboard(size = 1000, runs = 3): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-dash-"));
  const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: BENCH_TOKEN });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    const api = benchApi(cp);
    await api("POST", "/v1/clusters", { name: "big" });
    await api(
      "PUT",
      "/v1/clusters/big/topology",
      syntheticCluster(size, { loadbalancer_apiserver_localhost: true }),
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript((t) => sessionStorage.setItem("halo.adminToken", t), BENCH_TOKEN);
    const total: number[] = [];
    const inPage: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now();
      await page.goto(`${cp.url}/clusters/big`);
      await page.locator("body[data-ready=true]").waitFor({ timeout: 30_000 });
      const rows = await page.locator("#nodes-table tbody tr").count();
      if (rows !== size) throw new Error(`expected ${size} rows, saw ${rows}`);
      // The first load warms workerd's isolate and the compile cache: not counted.
      if (i === 0) continue;
      total.push(performance.now() - t0);
      inPage.push(Number(await page.locator("body").getAttribute("data-first-render-ms")));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    figure(
      `dashboard: cluster page at ${size} nodes, navigation to rendered (median of ${runs})`,
      Math.round(median(total)),
      "ms",
      1000,
    );
    figure(
      `dashboard: cluster page at ${size} nodes, first API call to last section drawn`,
      Math.round(median(inPage)),
      "ms",
      null,
    );
  } finally {
    await browser.close();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
