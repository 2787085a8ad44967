import { mkdirSync } from "node:fs";
import { DrainStatus, TopologyResponse } from "../../shared/api-schemas.ts";
import type { Server } from "node:net";
import { resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_AT_ONCE, Fleet, waitFor, type Node } from "./fleet.ts";

/** Screenshots land here, to be looked at (and two are copied into the README). */
export const SHOTS = resolve("test/output/dashboard");
const CLUSTER = "seed";
const SP = 17543;
const LBP = 18383;
const LB_NAME = "lb-apiserver.kubernetes.local";
const VIP = "127.0.43.100";
const MASTERS = { m1: "127.0.43.1", m2: "127.0.43.2" } as const;

/** The Kargo document's shape on loopback: two masters, the external LB on lb1 with its VIP and name. */
const topology = (vars: Record<string, unknown> = {}) => ({
  hosts: {
    ...Object.fromEntries(Object.entries(MASTERS).map(([h, ip]) => [h, { ip }])),
    n1: { ip: "127.0.43.11" },
    n2: { ip: "127.0.43.12" },
    lb1: { ip: "127.0.43.10" },
  },
  groups: {
    "kube-master": { hosts: Object.keys(MASTERS), children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1", "n2"], children: [] },
    lb: { hosts: ["lb1"], children: [] },
  },
  vars: {
    kube_apiserver_port: SP,
    apiserver_loadbalancer_domain_name: LB_NAME,
    loadbalancer_apiserver: { address: VIP, port: LBP },
    ...vars,
  },
});

const fleet = new Fleet();
const masters = new Map<string, Server>();
let browser: Browser;
let page: Page;
const nodes: Node[] = [];

const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const box = (id: string) => page.locator(`[data-box="${id}"]`);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await fleet.start();
  for (const [name, ip] of Object.entries(MASTERS))
    masters.set(name, await fleet.apiserver(name, ip, SP, [LB_NAME]));
  // The external LB's VIP: a stand-in for HAProxy on lb1, answering as the apiserver would.
  await fleet.apiserver("lb", VIP, LBP, [LB_NAME]);
  await fleet.createCluster(CLUSTER, ALL_AT_ONCE);
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/live-policy`, { probeIntervalSeconds: 2 });
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology());
  const token = await fleet.joinToken(CLUSTER);
  for (const [host, ip] of [
    ["n1", "127.0.43.11"],
    ["n2", "127.0.43.12"],
  ] as const) {
    const n = fleet.node(host, {
      hosts: { path: "/etc/hosts" },
      endpoints: { path: "/etc/halo/endpoints.json" },
      "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: null, health: null },
      kubeconfig: null,
      nginx: null,
      haproxy: null,
    });
    n.join(token, ip);
    n.run();
    nodes.push(n);
  }
  await fleet.converged(CLUSTER, ["n1", "n2"]);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fleet.stop();
});

describe("the dashboard in a real browser", () => {
  it("asks for the admin token and says clearly when it is wrong", async () => {
    await page.goto(`${fleet.cp.url}/`);
    const input = page.getByLabel("Admin token");
    await input.fill("not-the-token");
    await input.press("Enter");
    await expect
      .poll(() => page.getByRole("alert").first().textContent())
      .toContain("That token was refused (401)");
    await shot("1-wrong-token");
  });

  it("signs in with the keyboard alone and lists the cluster with its counts", async () => {
    await page.getByLabel("Admin token").fill("e2e-admin-token-0123456789abcdef");
    await page.keyboard.press("Enter");
    const row = page.getByRole("row", { name: /seed/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/v1.*2 connected.*2 applied.*0 failed/);
    // The token lives in this tab's sessionStorage, never in a cookie.
    expect(await page.evaluate(() => sessionStorage.getItem("halo.adminToken"))).toBe(
      "e2e-admin-token-0123456789abcdef",
    );
    expect(await page.context().cookies()).toEqual([]);
    await shot("2-clusters");
  });

  it("draws the Kargo document's diagram: LB name and VIP, masters, and each node's path, green when probes pass", async () => {
    await page.getByRole("link", { name: CLUSTER }).click();
    await page.locator("body[data-ready=true]").waitFor();
    const lb = box("lb");
    expect(await lb.textContent()).toContain(`external LB ${LB_NAME}`);
    expect(await lb.textContent()).toContain(`VIP ${VIP}:${LBP}`);
    expect(await lb.textContent()).toContain("HAProxy on lb1");
    const path = page.locator('[data-box^="path:node external-lb"]');
    expect(await path.textContent()).toContain("2 node(s) via the external LB");
    // Live: the masters turn green once the nodes' probes arrive (events, or polling).
    await waitFor(
      "m1 green",
      async () => (await box("master:m1").getAttribute("data-state")) === "ok",
      30_000,
    );
    await waitFor(
      "path green",
      async () => (await path.getAttribute("data-state")) === "ok",
      30_000,
    );
    expect(await box("master:m1").textContent()).toContain("✓ master m1");
    // What m1 serves, as the nodes' probes saw it: a certificate good for a year.
    await waitFor(
      "m1's certificate",
      async () =>
        (await box("master:m1").textContent())?.includes("certificate expires in 364 day(s)"),
      30_000,
    );
    await shot("3-cluster");
  });

  it("turns a master red, with a ✗ beside the colour, when its apiserver stops answering", async () => {
    masters.get("m1")?.close();
    await waitFor(
      "m1 red",
      async () => (await box("master:m1").getAttribute("data-state")) === "bad",
      30_000,
    );
    expect(await box("master:m1").textContent()).toMatch(/✗ master m1.*not ready from \d of 2/);
    // These nodes reach the apiserver through the external LB: their config names m1 (an etcd
    // member) but not m2, and an agent probes only addresses its own config names.
    expect(await box("master:m2").getAttribute("data-state")).toBe("unknown");
    const cell = page.locator("table.matrix td.bad").first();
    expect(await cell.textContent()).toMatch(/^✗ /);
    await shot("4-master-down");
  });

  it("plans a change, shows the per-host diff, applies it and watches the rollout finish", async () => {
    const change = topology({ loadbalancer_apiserver: undefined });
    delete (change.vars as Record<string, unknown>).loadbalancer_apiserver;
    await page.getByLabel("Inventory", { exact: true }).fill(JSON.stringify(change, null, 2));
    await page.getByRole("button", { name: "Plan" }).click();
    const n1 = page.locator('#plan-table tr[data-host="n1"]');
    await n1.waitFor();
    expect(await page.locator("#plan-summary").textContent()).toContain("Plan against version 1");
    expect(await n1.textContent()).toContain(
      `https://${LB_NAME}:${LBP} → https://${MASTERS.m1}:${SP}`,
    );
    expect(await page.locator('#plan-table tr[data-host="lb1"]').textContent()).toContain(
      "retired: haproxy",
    );
    await shot("5-plan");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("#applied").waitFor();
    expect(await page.locator("#applied").textContent()).toContain("Applied as version 2");
    await waitFor(
      "rollout completed",
      async () =>
        /v1 → v2.*completed/.test((await page.locator("#rollout-state").textContent()) ?? ""),
      30_000,
    );
    await waitFor("direct path drawn", async () => (await box("direct").count()) === 1, 10_000);
    await shot("6-applied");
  });

  it("shows a stale plan as a conflict, not a generic error", async () => {
    await page.getByLabel("Inventory", { exact: true }).fill(JSON.stringify(topology(), null, 2));
    await page.getByRole("button", { name: "Plan" }).click();
    await page.locator("#plan-table").waitFor();
    // Someone else changes the topology between the plan and the apply.
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/hosts/n3`, {
      ip: "127.0.43.13",
      groups: ["kube-node"],
    });
    await page.getByRole("button", { name: "Apply" }).click();
    await expect
      .poll(() => page.locator("#plan-alert").textContent())
      .toMatch(/^Conflict: the topology changed since this plan/);
  });

  it("pauses, resumes and aborts a live rollout, each after a confirmation", async () => {
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/rollout-policy`, {
      canary: 1,
      waves: ["100%"],
      bakeSeconds: 120,
    });
    const { body } = await fleet.call(TopologyResponse, "GET", `/v1/clusters/${CLUSTER}/topology`);
    const t = body.topology;
    if (!t) throw new Error("the cluster has no topology");
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, {
      ...t,
      // Every node dials m[0] directly now: a new port changes every bundle.
      vars: { ...t.vars, kube_apiserver_port: SP + 1 },
    });
    const state = () => page.locator("#rollout-state").textContent();
    await expect.poll(state, { timeout: 20_000 }).toMatch(/in_progress/);
    const asked: string[] = [];
    page.on("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await page.getByRole("button", { name: "Pause" }).click();
    await expect.poll(state, { timeout: 20_000 }).toMatch(/paused/);
    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(state, { timeout: 20_000 }).toMatch(/in_progress/);
    await shot("7-rollout");
    await page.getByRole("button", { name: "Abort" }).click();
    await expect.poll(state, { timeout: 20_000 }).toMatch(/aborted/);
    expect(asked).toEqual([
      expect.stringMatching(/^Pause this rollout\?/),
      expect.stringMatching(/^Resume this rollout\?/),
      expect.stringMatching(/^Abort this rollout\?/),
    ]);
  });

  it("drains a master from its row after a confirmation, and undrains it", async () => {
    const asked: string[] = [];
    page.removeAllListeners("dialog");
    page.on("dialog", (d) => {
      asked.push(d.message());
      void d.accept();
    });
    const button = page.locator('[data-drain="m2"]');
    await button.click();
    const drain = async () =>
      (await fleet.call(DrainStatus, "GET", `/v1/clusters/${CLUSTER}/hosts/m2/drain`)).body.state;
    await expect.poll(drain, { timeout: 10_000 }).not.toBe("none");
    const row = page.locator('#nodes-table tr[data-host="m2"]');
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toMatch(/drain(ing|ed)/);
    await expect
      .poll(() => box("master:m2").textContent(), { timeout: 20_000 })
      .toMatch(/drain(ing|ed): no LB sends it new connections/);
    await shot("8-drain");
    await page.locator('[data-drain="m2"]', { hasText: "Undrain" }).click();
    await expect.poll(drain, { timeout: 10_000 }).toBe("none");
    expect(asked).toEqual([
      expect.stringMatching(/^Drain m2\? No node's load balancer/),
      expect.stringMatching(/^Send connections to m2 again\?/),
    ]);
  });

  it("labels every control and reaches them all with the keyboard", async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea, button")]
        .filter((e) => {
          const c = e as HTMLInputElement;
          const named =
            (c.labels?.length ?? 0) > 0 ||
            c.getAttribute("aria-label") ||
            (c.tagName === "BUTTON" && c.textContent?.trim());
          return !named;
        })
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    expect(unlabelled).toEqual([]);
    // Tab through the page: every control gets focus in turn.
    const controls = await page
      .locator("main input, main select, main textarea, main button")
      .count();
    const reached = new Set<string>();
    for (let i = 0; i < controls + 40; i++) {
      await page.keyboard.press("Tab");
      reached.add(
        await page.evaluate(() => {
          const a = document.activeElement;
          return a ? `${a.tagName}#${a.id}:${a.textContent?.slice(0, 20)}` : "";
        }),
      );
    }
    expect(reached.has("TEXTAREA#inventory:")).toBe(true);
    expect(reached.has("INPUT#node-filter:")).toBe(true);
    expect([...reached].some((r) => r.startsWith("BUTTON#:Plan"))).toBe(true);
  });
});
