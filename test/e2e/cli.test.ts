import { haloCli } from "../support/halo-cli.ts";
import { spawn, spawnSync } from "node:child_process";
import { EndpointsResponse, TopologyResponse } from "../../shared/api-schemas.ts";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELP } from "../../cli/help.ts";
import { Fleet, type Node } from "./fleet.ts";

const fleet = new Fleet();
let config = "";

/** Runs the CLI on Node as a user would, with its own config file (and `input` on stdin). */
function haloIn(input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [haloCli(), ...args], {
    encoding: "utf8",
    input,
    env: { ...process.env, HALO_CONFIG: config, HALO_SERVER: "", HALO_TOKEN: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const halo = (...args: string[]) => haloIn("", ...args);

// The Kargo document's example cluster on loopback addresses: the agents this test runs probe its masters.
const DEMO = "examples/demo-cluster.ini";
const SEED = readFileSync(DEMO, "utf8");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

beforeAll(async () => {
  await fleet.start();
  config = join(fleet.dir, "cli.json");
}, 120_000);
afterAll(() => fleet.stop());

describe("the halo CLI against wrangler dev", () => {
  it("refuses to work before login (2) and with a bad token (3)", () => {
    expect(halo("status", "--cluster", "demo").code).toBe(2);
    const bad = halo("login", "--server", fleet.cp.url, "--token", "nope");
    expect(bad.code).toBe(3);
    expect(bad.err).toContain("401");
  });

  it("logs in, storing the token 0600, and creates and lists clusters", () => {
    expect(
      // The token on stdin, never in argv.
      haloIn(
        "e2e-admin-token-0123456789abcdef\n",
        "login",
        "--server",
        fleet.cp.url,
        "--token-file",
        "-",
        "--cluster",
        "demo",
      ).code,
    ).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(halo("cluster", "create", "demo")).toMatchObject({
      code: 0,
      out: "created cluster demo\n",
    });
    expect(halo("cluster", "create", "demo").code).toBe(1);
    const list = JSON.parse(halo("cluster", "list", "--json").out) as Array<{ name: string }>;
    expect(list.map((c) => c.name)).toContain("demo");
  });

  it("applies an inventory, showing which hosts change; asks unless --yes", async () => {
    const first = halo("apply", "-f", DEMO, "--yes");
    expect(first.code).toBe(0);
    expect(first.out).toContain("7 host(s) change:\n");
    expect(first.out).toContain(
      "  node1: endpoints, etcd-proxy, hosts, kubeconfig  apiserver - -> https://lb-apiserver.kubernetes.local:8383\n",
    );
    expect(first.out).toContain("applied as version 1");
    expect(halo("apply", "-f", DEMO)).toMatchObject({
      code: 0,
      out: "no host changes\n",
    });
    const changed = join(fleet.dir, "no-lb.ini");
    writeFileSync(changed, SEED.replace(/^loadbalancer_apiserver=.*$/m, ""));
    const asked = halo("apply", "-f", changed);
    expect(asked.code).toBe(5);
    expect(asked.out).toContain(
      "  node1: endpoints, hosts, kubeconfig  apiserver https://lb-apiserver.kubernetes.local:8383 -> https://127.0.10.11:6443\n",
    );
    const t = await fleet.call(TopologyResponse, "GET", "/v1/clusters/demo/topology");
    expect(t.body.version).toBe(1);
  });

  it("names the field of a bad inventory and exits 1", () => {
    const bad = join(fleet.dir, "bad.ini");
    writeFileSync(bad, SEED.replace("master1 ip=127.0.10.11", "master1 ip=127.0.10.300"));
    const r = halo("apply", "-f", bad, "--yes");
    expect(r.code).toBe(1);
    expect(r.err).toContain("hosts.master1.ip: must be an IPv4 or IPv6 literal");
  });

  it("creates a join token, shows status, watches a rollout to the end, and rolls back", async () => {
    await fleet.api("PUT", "/v1/clusters/demo/rollout-policy", {
      canary: 1,
      waves: ["100%"],
      bakeSeconds: 1,
    });
    const token = halo("token", "create", "--groups", "kube-node", "--max-uses", "3");
    expect(token.code).toBe(0);
    const nodes: Node[] = [];
    for (const [h, ip] of [
      ["node1", "127.0.10.21"],
      ["node2", "127.0.10.22"],
      ["node3", "127.0.10.23"],
    ] as const) {
      const n = fleet.node(h, {
        hosts: { path: "/etc/hosts" },
        endpoints: { path: "/etc/halo/endpoints.json" },
        "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: null, health: null },
      });
      n.join(token.out.trim(), ip);
      n.run();
      nodes.push(n);
    }
    await fleet.converged("demo", ["node1", "node2", "node3"]);
    const st = halo("status");
    expect(st.code).toBe(0);
    expect(st.out).toMatch(
      /^HOST +GROUPS +DESIRED +APPLIED +STATUS +CONNECTED +APISERVER +LAST ERROR\n/,
    );
    expect(st.out).toMatch(
      /\nnode1 +kube-node,k8s-cluster +v1 +v1 +applied +yes +https:\/\/lb-apiserver\.kubernetes\.local:8383 (\?|FAILING|ok \S+)\n/,
    );

    const changed = join(fleet.dir, "no-lb.ini");
    expect(halo("apply", "-f", changed, "--yes").code).toBe(0);
    const watch = halo("rollout", "watch", "--interval", "200");
    expect(watch.code).toBe(0);
    expect(watch.out).toContain("rollout #");
    expect(watch.out).toMatch(
      /v1 -> v2: completed\n {2}canary +\[#{20}\] 1\/1 done\n {2}wave 1 +\[#{20}\] 2\/2 done\n/,
    );
    const json = JSON.parse(halo("status", "--json").out) as Array<{
      host: string;
      status: string;
    }>;
    expect(json.filter((n) => n.host.startsWith("node")).every((n) => n.status === "applied")).toBe(
      true,
    );

    const back = halo("rollback", "1");
    expect(back.code).toBe(0);
    expect(back.out).toContain("as version 3");
    expect(halo("rollout", "watch", "--interval", "200").code).toBe(0);
    expect(JSON.parse(nodes[0]?.file("etc/halo/endpoints.json") ?? "{}").apiserver.via).toBe(
      "external-lb",
    );
    expect(halo("rollout", "pause").code).toBe(1);
  });

  it("lists removed hosts on their own, asks before removing a connected agent, and manages tokens", async () => {
    const without = join(fleet.dir, "without-node3.ini");
    writeFileSync(without, SEED.replace(/^node3 .*$/m, "").replace(/^node3$/m, ""));
    const asked = halo("apply", "-f", without);
    expect(asked.code).toBe(5);
    expect(asked.out).toContain(
      "1 host(s) leave the cluster; their agents lose their credentials:\n  - node3 (agent connected now)\n",
    );
    expect(asked.err).toContain("pass --yes");
    const before = await fleet.call(TopologyResponse, "GET", "/v1/clusters/demo/topology");

    const list = halo("token", "list");
    expect(list.code).toBe(0);
    expect(list.out).toMatch(
      /^ID +GROUPS +HOSTS +USES +EXPIRES +STATE\n[0-9a-f]{16} +kube-node +- +3\/3 /,
    );
    const id = list.out.split("\n")[1]?.split(" ")[0] ?? "";
    expect(halo("token", "revoke", id)).toMatchObject({
      code: 0,
      out: `revoked join token ${id}\n`,
    });
    expect(halo("token", "list", "--json").out).toBe("[]\n");
    expect(halo("token", "create", "--ttl", "abc").code).toBe(2);
    const after = await fleet.call(TopologyResponse, "GET", "/v1/clusters/demo/topology");
    expect(after.body.version).toBe(before.body.version);
  });

  it("plans and applies a Kubespray inventory directory as it is, saying which profile applied", async () => {
    expect(halo("cluster", "create", "ks").code).toBe(0);
    const dir = "test/fixtures/kubespray-layout";
    const p = halo("plan", "-f", dir, "--cluster", "ks");
    expect(p.code, p.err).toBe(0);
    expect(p.out).toContain(
      "profile kubespray: the inventory uses today's Kubespray group names (kube_control_plane, kube_node, k8s_cluster)\n",
    );
    expect(p.out).toContain(
      "  node4: endpoints, hosts, kubeconfig, nginx  apiserver - -> https://localhost:6443\n",
    );
    const t0 = await fleet.call(TopologyResponse, "GET", "/v1/clusters/ks/topology");
    expect(t0.body.version).toBe(0);
    expect(halo("apply", "-f", dir, "--cluster", "ks", "--yes").code).toBe(0);
    const e = await fleet.call(EndpointsResponse, "GET", "/v1/clusters/ks/nodes/node1/endpoints");
    expect(e.body.apiserver.url).toBe("https://127.0.0.1:6443");
  });

  it("answers --help on every command and --version, before asking any server", () => {
    for (const cmd of Object.keys(HELP)) {
      const r = halo(cmd, "--help");
      expect(r.code, cmd).toBe(0);
      expect(r.out).toBe(`${HELP[cmd]}\n`);
    }
    expect(halo("--version")).toMatchObject({ code: 0, out: `halo ${pkg.version}\n` });
    expect(halo().code).toBe(0);
    expect(halo("token", "create", "--ttl", "abc", "--server", "http://127.0.0.1:9").code).toBe(2);
  });

  it("lists and removes hosts, shows the audit, and deletes a cluster when told", async () => {
    const list = JSON.parse(halo("host", "list", "--json", "--cluster", "ks").out) as Array<{
      host: string;
      origin: string;
    }>;
    expect(list.map((h) => h.host)).toEqual(["node1", "node2", "node3", "node4", "node5"]);
    expect(halo("host", "rm", "node5", "--cluster", "ks", "--yes").out).toMatch(
      /^removed node5 as version \d+\n$/,
    );
    const audit = halo("audit", "--cluster", "ks", "--limit", "3");
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/^ID +AT +ACTOR +ACTION +DETAIL\n\d+ +\S+ +admin:\S+ +host\.delete /);
    expect(halo("cluster", "rm", "ks").code).toBe(5);
    expect(halo("cluster", "rm", "ks", "--yes").out).toBe("deleted cluster ks\n");
    expect((await fleet.api("GET", "/v1/clusters/ks")).status).toBe(404);
  });

  /** Runs `halo status` against a fake server that answers every request with `body`. */
  async function statusAgainst(type: string, body: string) {
    const { createServer } = await import("node:http");
    const s = createServer((_q, r) => r.writeHead(200, { "content-type": type }).end(body));
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    const port = (s.address() as { port: number }).port;
    // Not spawnSync: this process must stay free to answer as the fake server.
    const args = [
      "status",
      "--server",
      `http://127.0.0.1:${port}`,
      "--token",
      "x",
      "--cluster",
      "c",
    ];
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(process.execPath, [haloCli(), ...args], {
        env: { ...process.env, HALO_CONFIG: config },
      });
      let err = "";
      p.stderr.on("data", (d: Buffer) => (err += d.toString()));
      p.on("exit", (code) => resolve({ code, err }));
    });
    s.close();
    return r;
  }

  it("explains a server that is not a halo control plane", async () => {
    const r = await statusAgainst("text/html", "<html>");
    expect(r.code).toBe(1);
    expect(r.err).toContain("not JSON: is it a halo control plane?");
  });

  it("parses every answer with the API's schema: JSON of another shape is named, not used", async () => {
    const r = await statusAgainst("application/json", JSON.stringify({ nodes: [{ host: 7 }] }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /answered GET \/v1\/clusters\/c\/nodes with a body that is not halo's \(nodes\.0\.host: .*\): is it another version/,
    );
  });
});
