import { haloCli } from "../support/halo-cli.ts";
import { spawn, spawnSync } from "node:child_process";
import type { output } from "zod";
import { AuditList, NodeList, ReachabilityResponse } from "../../shared/api-schemas.ts";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_AT_ONCE, Fleet, waitFor, type Node } from "./fleet.ts";
import { nginxNode } from "./nginx.ts";

const CLUSTER = "live";
const SP = 17443;
const INTERVAL = 2;
const MASTERS = { m1: "127.0.41.1", m2: "127.0.41.2", m3: "127.0.41.3" } as const;
/**
 * Each node's localhost LB on its own ports (host vars), so two nginx share this machine; below
 * the ephemeral range (32768+), where another test's client socket could already hold them.
 */
const N1 = { ip: "127.0.42.1", lb: 29443, health: 29081 };
const N2 = { ip: "127.0.42.2", lb: 29444, health: 29082 };

const topology = {
  hosts: {
    ...Object.fromEntries(Object.entries(MASTERS).map(([h, ip]) => [h, { ip }])),
    n1: {
      ip: N1.ip,
      vars: {
        loadbalancer_apiserver_port: N1.lb,
        loadbalancer_apiserver_healthcheck_port: N1.health,
      },
    },
    n2: {
      ip: N2.ip,
      vars: {
        loadbalancer_apiserver_port: N2.lb,
        loadbalancer_apiserver_healthcheck_port: N2.health,
      },
    },
  },
  groups: {
    "kube-master": { hosts: Object.keys(MASTERS), children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1", "n2"], children: [] },
  },
  vars: { loadbalancer_apiserver_localhost: true, kube_apiserver_port: SP, etcd_multiaccess: true },
};

type Reachability = output<typeof ReachabilityResponse>;

const fleet = new Fleet();
const masters = new Map<string, Server>();
let n1: Node;
let n2: Node;
let metricsPort = 0;

const reachability = async () =>
  (await fleet.call(ReachabilityResponse, "GET", `/v1/clusters/${CLUSTER}/reachability`)).body;
const nodes = async () =>
  (await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`)).body.nodes;
const node = async (h: string) => (await nodes()).find((n) => n.host === h);
/** Stops a master: no new connection is accepted (open ones are not waited for). */
const stop = (m: string) => void masters.get(m)?.close();
const nginxPid = (n: Node) => Number(n.file("nginx.pid")?.trim());
const nginxConf = (n: Node) => join(n.root, "etc/nginx/nginx.conf");

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  await fleet.start();
  for (const [name, ip] of Object.entries(MASTERS))
    masters.set(name, await fleet.apiserver(name, ip, SP));
  await fleet.createCluster(CLUSTER, { ...ALL_AT_ONCE, maxFailures: 2 });
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/live-policy`, {
    probeIntervalSeconds: INTERVAL,
    driftPolicy: "heal",
  });
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology);
  const token = await fleet.joinToken(CLUSTER);
  n1 = nginxNode(fleet, "n1", N1.health);
  n2 = nginxNode(fleet, "n2", N2.health);
  n1.join(token, N1.ip);
  n2.join(token, N2.ip);
  metricsPort = await freePort();
  n1.run(["--metrics", `127.0.0.1:${metricsPort}`]);
  n2.run();
  await fleet.converged(CLUSTER, ["n1", "n2"]);
}, 120_000);
afterAll(() => fleet.stop());

const everyNodeSees = (r: Reachability, id: string, ok: boolean) =>
  ["n1", "n2"].every((h) => r.nodes.find((n) => n.host === h)?.results[id]?.ok === ok);

describe("the live view with real nginx and TLS apiserver stand-ins", () => {
  it("shows every node reaching every master, and its own path through nginx", async () => {
    const r = await fleet.explain(
      waitFor("both nodes probed", async () => {
        const x = await reachability();
        return (
          x.nodes.length === 2 &&
          Object.keys(MASTERS).every((m) =>
            everyNodeSees(x, `apiserver:${MASTERS[m as keyof typeof MASTERS]}:${SP}`, true),
          ) &&
          x
        );
      }),
    );
    expect(r.targets).toEqual([
      {
        id: `apiserver:127.0.41.1:${SP}`,
        kind: "apiserver",
        host: "m1",
        address: `127.0.41.1:${SP}`,
      },
      {
        id: `apiserver:127.0.41.2:${SP}`,
        kind: "apiserver",
        host: "m2",
        address: `127.0.41.2:${SP}`,
      },
      {
        id: `apiserver:127.0.41.3:${SP}`,
        kind: "apiserver",
        host: "m3",
        address: `127.0.41.3:${SP}`,
      },
      { id: "etcd:127.0.41.1:2379", kind: "etcd", address: "127.0.41.1:2379" },
    ]);
    // Nothing listens on the etcd member's port here: the target is present and failing.
    expect(everyNodeSees(r, "etcd:127.0.41.1:2379", false)).toBe(true);
    const n = await fleet.explain(
      waitFor("n1's own path", async () => (await node("n1"))?.apiserver.ok && node("n1")),
    );
    expect(n?.apiserver).toMatchObject({ url: `https://localhost:${N1.lb}`, ok: true });
  });

  it("marks a stopped master unreachable for every node within two probe intervals; their own paths stay up", async () => {
    const t0 = Date.now();
    stop("m2");
    await fleet.explain(
      waitFor(
        "m2 unreachable everywhere",
        async () => everyNodeSees(await reachability(), `apiserver:127.0.41.2:${SP}`, false),
        2 * INTERVAL * 1000 + 2000,
      ),
    );
    const elapsed = (Date.now() - t0) / 1000;
    expect(elapsed).toBeLessThan(2 * INTERVAL + 2);
    const rows = await nodes();
    expect(rows.filter((x) => x.host.startsWith("n")).map((x) => x.apiserver.ok)).toEqual([
      true,
      true,
    ]);
  });

  it("marks each node's own path failed when every master is down", async () => {
    for (const m of ["m1", "m3"]) stop(m);
    await fleet.explain(
      waitFor("own paths failed", async () => {
        const rows = await nodes();
        return ["n1", "n2"].every((h) => rows.find((x) => x.host === h)?.apiserver.ok === false);
      }),
    );
  });

  it("heals a hand edit of nginx.conf: reported, rewritten, nginx reloaded in place", async () => {
    // Every master is down: the agent keeps every backend in (none is marked down) once its
    // checks have seen it, and the file stops changing.
    await waitFor(
      "n1's nginx to keep every master",
      () => !readFileSync(nginxConf(n1), "utf8").includes(" down;"),
    );
    const before = readFileSync(nginxConf(n1), "utf8");
    const pid = nginxPid(n1);
    appendFileSync(nginxConf(n1), "# edited by hand\n");
    const row = await fleet.explain(
      waitFor("drift healed on n1", async () => {
        const x = await node("n1");
        return x?.lastDrift?.healed && x;
      }),
    );
    expect(row.lastDrift).toMatchObject({ kinds: ["nginx"], healed: true });
    expect(row.drift).toEqual([]);
    expect(readFileSync(nginxConf(n1), "utf8")).toBe(before);
    expect(nginxPid(n1)).toBe(pid);
    const audit = await fleet.call(AuditList, "GET", `/v1/clusters/${CLUSTER}/audit?limit=20`);
    expect(audit.body.entries.find((e) => e.action === "node.drift")?.detail).toMatchObject({
      host: "n1",
      kinds: ["nginx"],
      healed: true,
    });
  });

  it("with driftPolicy report, reports a hand edit and leaves it", async () => {
    await fleet.api("PUT", `/v1/clusters/${CLUSTER}/live-policy`, {
      probeIntervalSeconds: INTERVAL,
      driftPolicy: "report",
    });
    // The policy reaches the agent with its targets; give it one probe round to arrive.
    await fleet.explain(
      waitFor("policy applied", async () => (await reachability()).nodes.length === 2),
    );
    await new Promise((r) => setTimeout(r, INTERVAL * 1000));
    appendFileSync(nginxConf(n2), "# edited by hand, on purpose\n");
    const row = await fleet.explain(
      waitFor("drift reported on n2", async () => {
        const x = await node("n2");
        return x?.drift.includes("nginx") && x;
      }),
    );
    expect(row.lastDrift).toMatchObject({ kinds: ["nginx"], healed: false });
    expect(readFileSync(nginxConf(n2), "utf8")).toContain("# edited by hand, on purpose\n");
  });

  it("serves the agent's and the fleet's metrics as Prometheus text", async () => {
    const agent = parsePrometheus(
      await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    );
    const byName = new Map(agent.map((f) => [f.name, f]));
    for (const name of [
      "halo_build_info",
      "halo_config_info",
      "halo_config_last_reload_successful",
      "halo_config_last_reload_success_timestamp_seconds",
      "halo_config_reloads_total",
      "halo_config_apply_duration_seconds",
      "halo_config_drift",
      "halo_upstream_up",
      "halo_upstream_probe_duration_seconds",
      "halo_controlplane_connected",
    ])
      expect(byName.has(name), name).toBe(true);
    expect(byName.get("halo_config_apply_duration_seconds")?.type).toBe("HISTOGRAM");
    expect(byName.get("halo_controlplane_connected")?.metrics[0]?.value).toBe("1");
    expect(
      byName
        .get("halo_upstream_up")
        ?.metrics.find((m) => m.labels?.target === `apiserver:127.0.41.2:${SP}`)?.value,
    ).toBe("0");
    const res = await fetch(`${fleet.cp.url}/v1/clusters/${CLUSTER}/metrics`, {
      headers: { authorization: "Bearer e2e-admin-token-0123456789abcdef" },
    });
    const fleetMetrics = new Map(parsePrometheus(await res.text()).map((f) => [f.name, f]));
    expect(fleetMetrics.get("halo_nodes_apiserver_unreachable")?.metrics[0]?.value).toBe("2");
    expect(fleetMetrics.get("halo_nodes_drifted")?.metrics[0]?.value).toBe("1");
    expect(
      Number(fleetMetrics.get("halo_unreachable_targets")?.metrics[0]?.value),
    ).toBeGreaterThanOrEqual(3);
  });

  it("shows the matrix and follows events from the CLI", async () => {
    const env = {
      ...process.env,
      HALO_SERVER: fleet.cp.url,
      HALO_TOKEN: "e2e-admin-token-0123456789abcdef",
      HALO_CLUSTER: CLUSTER,
    };
    const r = spawnSync(process.execPath, [haloCli(), "reachability"], { encoding: "utf8", env });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^NODE +m1 127\.0\.41\.1:17443 +m2 127\.0\.41\.2:17443 +m3 127\.0\.41\.3:17443 +etcd:127\.0\.41\.1:2379\n/,
    );
    expect(r.stdout).toMatch(/\nn1 +FAIL +FAIL +FAIL +FAIL\n/);
    const d = spawnSync(process.execPath, [haloCli(), "describe", "node", "n1"], {
      encoding: "utf8",
      env,
    });
    expect(d.status).toBe(0);
    expect(d.stdout).toContain(`apiserver:  https://localhost:${N1.lb} (localhost-lb), FAILING\n`);
    expect(d.stdout).toMatch(
      /\nkinds: +endpoints [0-9a-f]{12}, hosts [0-9a-f]{12}, kubeconfig [0-9a-f]{12}, nginx [0-9a-f]{12}\n/,
    );
    // Each failing probe says why.
    expect(d.stdout).toMatch(/\n {2}apiserver:127\.0\.41\.1:17443 +FAIL {2}\S.*\n/);
    const watch = spawn(process.execPath, [haloCli(), "watch", "--json"], { env });
    let out = "";
    watch.stdout.on("data", (d: Buffer) => (out += d.toString()));
    // Each policy PUT makes the hub tell watchers: once one arrives, the watch is connected.
    await fleet.explain(
      waitFor("the watch connected", async () => {
        await fleet.api("PUT", `/v1/clusters/${CLUSTER}/live-policy`, {
          probeIntervalSeconds: INTERVAL,
          driftPolicy: "report",
        });
        return out.includes('"type":"rollout"');
      }),
    );
    const set = spawnSync(process.execPath, [haloCli(), "policy", "set", "--drift", "heal"], {
      encoding: "utf8",
      env,
    });
    expect(set.stdout).toBe(
      `live: {"probeIntervalSeconds":${INTERVAL},"driftPolicy":"heal","checkIntervalSeconds":2,"certWarningDays":30}\n`,
    );
    const line = await fleet.explain(
      waitFor("n2's drift healed, as an event", () =>
        out.split("\n").find((l) => l.includes('"type":"drift"') && l.includes('"healed":true')),
      ),
    );
    watch.kill();
    expect(JSON.parse(line)).toMatchObject({
      type: "drift",
      host: "n2",
      kinds: ["nginx"],
      healed: true,
    });
  });
});
