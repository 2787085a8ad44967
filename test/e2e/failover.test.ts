import { haloCli } from "../support/halo-cli.ts";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DrainStarted, DrainStatus, NodeList } from "../../shared/api-schemas.ts";
import { ApiserverStandin, type StandinMode } from "../../scripts/apiserver-standin.ts";
import { once, recovery, sample, sampleWhile, streamOn } from "../../bench/traffic.ts";
import { Fleet, waitFor, type Node } from "./fleet.ts";
import { haproxyNode, nginxNode, SANDBOXED } from "./nginx.ts";

/**
 * Failover through a node's localhost LB, for real: two TLS apiserver stand-ins that turn
 * unready (500), hang (TLS up, no answer) or stop, a node whose LB is nginx (its agent checks
 * /readyz and takes a backend out) and one whose LB is HAProxy (which checks /readyz itself),
 * and a client making a new connection every 100 ms through each.
 */
const CLUSTER = "failover";
const SP = 16543;
const LBS = {
  nginx: { host: "n1", ip: "127.0.0.61", port: 26543, health: 28181 },
  haproxy: { host: "n2", ip: "127.0.0.62", port: 26544, health: 28182 },
} as const;
type Lb = keyof typeof LBS;

const fleet = new Fleet();
const masters = {
  m1: new ApiserverStandin("m1", "127.0.0.51", SP),
  m2: new ApiserverStandin("m2", "127.0.0.52", SP),
};
const nodes = new Map<Lb, Node>();

const nodeVars = (lb: Lb) => ({
  kube_apiserver_port: LBS[lb].port,
  loadbalancer_apiserver_healthcheck_port: LBS[lb].health,
  loadbalancer_apiserver_type: lb,
});

beforeAll(async () => {
  await fleet.start();
  for (const m of Object.values(masters)) await m.start();
  fleet.onStop(async () => {
    for (const m of Object.values(masters)) await m.stop();
  });
  await fleet.createCluster(CLUSTER);
  const put = await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, {
    hosts: {
      m1: { ip: "127.0.0.51" },
      m2: { ip: "127.0.0.52" },
      e1: { ip: "127.0.0.53" },
      n1: { ip: LBS.nginx.ip, vars: nodeVars("nginx") },
      n2: { ip: LBS.haproxy.ip, vars: nodeVars("haproxy") },
    },
    groups: {
      "kube-master": { hosts: ["m1", "m2"], children: [] },
      etcd: { hosts: ["e1"], children: [] },
      "kube-node": { hosts: ["n1", "n2"], children: [] },
    },
    vars: { loadbalancer_apiserver_localhost: true, kube_apiserver_port: SP },
  });
  expect(put.status).toBe(200);
  const token = await fleet.joinToken(CLUSTER);
  nodes.set("nginx", nginxNode(fleet, "n1", LBS.nginx.health));
  nodes.set("haproxy", haproxyNode(fleet, "n2", LBS.haproxy.health, SANDBOXED));
  for (const [lb, n] of nodes) {
    n.join(token, LBS[lb].ip);
    n.run();
  }
  await fleet.converged(CLUSTER, ["n1", "n2"], 30_000);
}, 120_000);
afterAll(() => fleet.stop());

/** Both masters ready, and both reached again through the LB. */
async function heal(lb: Lb): Promise<void> {
  for (const m of Object.values(masters)) await m.set("ok");
  await waitFor(
    "both masters reached through the LB",
    async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const r = await once(LBS[lb].port);
        if (r.ok) seen.add(r.body);
      }
      return seen.size === 2;
    },
    20_000,
  );
}

const ejectedOn = async (host: string) => {
  const { body } = await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`);
  return body.nodes.find((n) => n.host === host)?.ejected.map((e) => e.master) ?? [];
};

/** The CLI's environment: this fleet's control plane, as a logged-in operator has it. */
const cliEnv = () => ({
  ...process.env,
  HALO_SERVER: fleet.cp.url,
  HALO_TOKEN: "e2e-admin-token-0123456789abcdef",
  HALO_CLUSTER: CLUSTER,
  HALO_CONFIG: join(fleet.dir, "cli.json"),
});

const halo = (...args: string[]) =>
  spawnSync(process.execPath, [haloCli(), ...args], {
    encoding: "utf8",
    env: cliEnv(),
  });

/** The CLI without blocking this process (spawnSync would stop the test's own clients). */
function haloAsync(...args: string[]): Promise<{ status: number | null; stdout: string }> {
  const p = spawn(process.execPath, [haloCli(), ...args], { env: cliEnv() });
  let stdout = "";
  p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  return new Promise((r) => p.on("exit", (status) => r({ status, stdout })));
}

const BOTH = ["nginx", "haproxy"] as const;

describe("a node whose localhost LB is nginx, and one whose LB is HAProxy", () => {
  it.each(["unready", "hung", "stopped"] as StandinMode[])(
    "route around a master that turns %s within 5 s",
    async (fault) => {
      await Promise.all(BOTH.map(heal));
      await masters.m2.set(fault);
      const seen = await Promise.all(BOTH.map((lb) => sample(LBS[lb].port, 6000)));
      for (const samples of seen) {
        const r = recovery(samples);
        expect(r.lastFailureMs, JSON.stringify(samples.filter((s) => !s.ok))).toBeLessThan(5000);
        const after = samples.filter((s) => s.at > 5000);
        expect(after.every((s) => s.ok && s.body === "m1")).toBe(true);
      }
      expect(await ejectedOn("n1")).toEqual(["m2"]);
      expect(nodes.get("nginx")?.file("etc/nginx/nginx.conf")).toMatch(/127\.0\.0\.52:16543 down;/);
    },
    60_000,
  );

  it("tell watchers of each master an nginx node takes out and puts back", async () => {
    await Promise.all(BOTH.map(heal));
    const url = `${fleet.cp.url.replace(/^http/, "ws")}/v1/clusters/${CLUSTER}/events`;
    const ws = new WebSocket(url, {
      headers: { authorization: "Bearer e2e-admin-token-0123456789abcdef" },
    });
    const frames: Array<Record<string, unknown>> = [];
    ws.on("message", (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
    await new Promise((r) => ws.once("open", r));
    await masters.m2.set("unready");
    const out = await waitFor("an ejection event", () =>
      frames.find((f) => f.type === "ejection" && f.ejected === true),
    );
    expect(out).toMatchObject({ type: "ejection", host: "n1", master: "m2", ejected: true });
    await masters.m2.set("ok");
    const back = await waitFor("the master put back", () =>
      frames.find((f) => f.type === "ejection" && f.ejected === false),
    );
    expect(back).toMatchObject({ host: "n1", master: "m2" });
    ws.close();
  }, 60_000);

  it("close a stream on a master that wedges within 10 s", async () => {
    await Promise.all(BOTH.map(heal));
    const streams = await Promise.all(BOTH.map((lb) => streamOn(LBS[lb].port, "m2")));
    const t0 = performance.now();
    await masters.m2.set("hung");
    for (const s of streams) {
      const closedAt = await Promise.race([
        s.closed,
        new Promise<number>((r) => setTimeout(() => r(Number.POSITIVE_INFINITY), 15_000)),
      ]);
      s.destroy();
      expect(closedAt - t0).toBeLessThan(10_000);
    }
  }, 60_000);

  it("put a master back once it is ready again", async () => {
    await masters.m2.set("unready");
    for (const lb of BOTH)
      await waitFor(
        `m2 out of ${lb}`,
        async () => {
          const r = await sample(LBS[lb].port, 1000);
          return r.every((s) => s.ok && s.body === "m1");
        },
        15_000,
      );
    await Promise.all(BOTH.map(heal));
    expect(await waitFor("m2 back", async () => (await ejectedOn("n1")).length === 0)).toBe(true);
  }, 60_000);

  it("keep every master when none is ready", async () => {
    await Promise.all(BOTH.map(heal));
    await masters.m1.set("unready");
    await masters.m2.set("unready");
    // Long enough for every check to have failed twice over.
    await sample(LBS.nginx.port, 6000, 500);
    for (const lb of BOTH) {
      const answers = await sample(LBS[lb].port, 1500, 100);
      // Every connection still reaches a master (they answer 500: the LB refuses none).
      expect(new Set(answers.map((a) => a.body.includes("readyz check failed")))).toEqual(
        new Set([true]),
      );
    }
    expect(await ejectedOn("n1")).toEqual([]);
    expect(nodes.get("nginx")?.file("etc/nginx/nginx.conf")).not.toContain(" down;");
    await Promise.all(BOTH.map(heal));
  }, 60_000);
});

describe("draining a master", () => {
  const drainPath = (h: string) => `/v1/clusters/${CLUSTER}/hosts/${h}/drain`;

  it("refuses a host that is not a master (422) and the last undrained master (409)", async () => {
    expect((await fleet.api("POST", drainPath("n1"), {})).status).toBe(422);
    expect((await fleet.api("POST", drainPath("m1"), {})).status).toBe(202);
    const last = await fleet.api<{ detail: string }>("POST", drainPath("m2"), {});
    expect(last.status).toBe(409);
    expect(last.body.detail).toContain("last master");
    expect((await fleet.api("DELETE", drainPath("m1"))).status).toBe(200);
  });

  it("moves new connections off the master within 5 s without a failed request, and back", async () => {
    await heal("nginx");
    await heal("haproxy");
    const during = Promise.all([sample(LBS.nginx.port, 7000), sample(LBS.haproxy.port, 7000)]);
    const t0 = performance.now();
    const started = await fleet.call(DrainStarted, "POST", drainPath("m2"), { graceSeconds: 10 });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ host: "m2", state: "draining", graceSeconds: 10 });
    const posted = performance.now() - t0;
    for (const samples of await during) {
      expect(samples.filter((s) => !s.ok)).toEqual([]);
      const onM2 = samples.filter((s) => s.body === "m2").map((s) => s.at);
      expect(Math.max(0, ...onM2) - posted).toBeLessThan(5000);
    }
    const done = await waitFor(
      "the drain to complete",
      async () => {
        const s = await fleet.call(DrainStatus, "GET", drainPath("m2"));
        return s.body.state === "drained" && s.body;
      },
      20_000,
    );
    expect(done).toMatchObject({
      host: "m2",
      state: "drained",
      nodes: { routing: 0, connections: 0 },
    });
    const listed = (await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`)).body.nodes;
    expect(listed.find((n) => n.host === "m2")?.drain?.state).toBe("drained");
    expect(listed.find((n) => n.host === "m1")?.drain).toBeNull();

    const ended = await fleet.call(DrainStatus, "DELETE", drainPath("m2"));
    expect(ended.body.state).toBe("none");
    await heal("nginx");
    await heal("haproxy");
  }, 90_000);
});

describe("halo drain and halo undrain", () => {
  it("drains with progress until drained, shows it in status, and undrains", async () => {
    const r = halo("drain", "m1", "--grace", "3", "--wait", "--interval", "200");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^m1: draining, \d+ node\(s\) still routing to it, \d+ connection\(s\) open\n/,
    );
    expect(r.stdout).toMatch(
      /m1: drained, 0 node\(s\) still routing to it, \d+ connection\(s\) open\n$/,
    );
    expect(halo("status").stdout).toMatch(/\nm1 +kube-master\S* .* \(drained\)/);
    expect(halo("drain", "m2").status).toBe(1);
    const u = halo("undrain", "m1");
    expect(u.stdout).toBe("m1: not drained; LBs send it connections again\n");
    await heal("nginx");
  }, 60_000);
});

describe("replacing a master", () => {
  it("adds the new one, drains the old, removes it: not one request fails", async () => {
    const m3 = new ApiserverStandin("m3", "127.0.0.54", SP);
    await m3.start();
    fleet.onStop(() => m3.stop());
    await Promise.all(BOTH.map(heal));
    const log: string[] = [];
    // Not spawnSync: the clients must keep sending while the CLI runs.
    const cli = async (...args: string[]) => {
      const r = await haloAsync(...args);
      log.push(`$ halo ${args.join(" ")}`, r.stdout.trimEnd());
      return r;
    };
    const steps = (async () => {
      const put = await fleet.api("PUT", `/v1/clusters/${CLUSTER}/hosts/m3`, {
        ip: "127.0.0.54",
        groups: ["kube-master"],
      });
      expect(put.status).toBe(200);
      log.push(`$ curl -X PUT ... /hosts/m3 -d '{"ip":"127.0.0.54","groups":["kube-master"]}'`);
      log.push(JSON.stringify(put.body));
      expect((await cli("rollout", "watch", "--interval", "300")).status).toBe(0);
      expect((await cli("drain", "m2", "--grace", "5", "--wait", "--interval", "500")).status).toBe(
        0,
      );
      expect((await cli("host", "rm", "m2", "--yes")).status).toBe(0);
      expect((await cli("rollout", "watch", "--interval", "300")).status).toBe(0);
      // The old master is gone from every LB.
      await waitFor(
        "m2 out of nginx.conf",
        () =>
          !readFileSync(
            join(nodes.get("nginx")?.root ?? "", "etc/nginx/nginx.conf"),
            "utf8",
          ).includes("127.0.0.52"),
      );
    })();
    const traffic = Promise.all(BOTH.map((lb) => sampleWhile(LBS[lb].port, steps)));
    await steps;
    const seen = await traffic;
    for (const samples of seen) {
      expect(
        samples.filter((s) => !s.ok),
        log.join("\n"),
      ).toEqual([]);
      const bodies = new Set(samples.map((s) => s.body));
      expect(bodies.has("m3")).toBe(true);
      log.push(
        `${samples.length} requests through one LB meanwhile, ${samples.filter((x) => !x.ok).length} failed`,
      );
    }
  }, 90_000);
});

describe("the pre-swap check", () => {
  it("stops a master address nobody answers on at the canary, and the rollout reverts", async () => {
    await heal("nginx");
    await heal("haproxy");
    expect(
      (
        await fleet.api("PUT", `/v1/clusters/${CLUSTER}/rollout-policy`, {
          canary: 1,
          waves: ["100%"],
          bakeSeconds: 1,
        })
      ).status,
    ).toBe(200);
    const { body } = await fleet.api<{ topology: Record<string, unknown> }>(
      "GET",
      `/v1/clusters/${CLUSTER}/topology`,
    );
    const t = body.topology as {
      hosts: Record<string, unknown>;
      groups: Record<string, { hosts: string[] }>;
    };
    // A typo: both masters replaced by one address where nothing listens.
    t.hosts.m9 = { ip: "127.0.0.59" };
    (t.groups["kube-master"] as { hosts: string[] }).hosts = ["m9"];
    expect((await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, t)).status).toBe(200);
    await fleet.rollout(CLUSTER, ["reverted", "paused"], 60_000);
    const nodes = (await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`)).body.nodes;
    const failed = nodes.filter((n) => n.lastError?.startsWith("preflight: "));
    expect(failed.length).toBe(1);
    expect(failed[0]?.lastError).toContain("127.0.0.59:16543: connect ECONNREFUSED");
    // Nothing was written: both LBs still send to the two masters.
    for (const lb of ["nginx", "haproxy"] as const) {
      const r = await sample(LBS[lb].port, 1000);
      expect(r.every((s) => s.ok)).toBe(true);
    }
  }, 90_000);
});
