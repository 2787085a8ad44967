import { haloCli } from "../support/halo-cli.ts";
import { execFile, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/control-plane.ts";
import { Fleet } from "./fleet.ts";

/**
 * deploy/ansible/halo-agents.yml run by Debian's ansible-core against a Kubespray inventory of
 * three hosts on this machine (local connection, each host's files under its own prefix), the
 * agents joining the real local control plane. Every address is on loopback.
 */
const fleet = new Fleet();
const CLUSTER = "kubespray";
const HOSTS = { m1: "127.0.71.1", m2: "127.0.71.2", n1: "127.0.71.11" };
let port = 0;
let dist = "";
let inventory = "";

const prefix = (h: string) => join(fleet.dir, "hosts", h);
const WANTS = "etc/systemd/system/multi-user.target.wants/halo-agent.service";

/** The halo CLI against the test's control plane. */
const halo = (...args: string[]) =>
  spawnSync(process.execPath, [haloCli(), ...args], {
    encoding: "utf8",
    env: {
      ...process.env,
      HALO_SERVER: fleet.cp.url,
      HALO_TOKEN: fleet.cp.adminToken,
      HALO_CLUSTER: CLUSTER,
      HALO_CONFIG: join(fleet.dir, "cli.json"),
    },
  });

/** Runs the playbook; resolves with its exit code and output (never throws). */
function playbook(...extra: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const p = spawn(
      "ansible-playbook",
      [
        // Kubespray's own way: the inventory file; group_vars beside it are read with it.
        "-i",
        join(inventory, "inventory.ini"),
        "deploy/ansible/halo-agents.yml",
        "-e",
        `halo_server=${fleet.cp.url}`,
        "-e",
        `halo_cluster=${CLUSTER}`,
        "-e",
        `halo_agent_dist=${dist}`,
        // The test runs as root on one machine: no sudo.
        "-e",
        "halo_agent_become=false",
        ...extra,
      ],
      {
        env: {
          ...process.env,
          HALO_TOKEN: fleet.cp.adminToken,
          HALO_LOOPBACK_ONLY: "1",
          ANSIBLE_NOCOLOR: "1",
          ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
          ANSIBLE_LOCAL_TEMP: join(fleet.dir, "ansible-tmp"),
          ANSIBLE_REMOTE_TEMP: join(fleet.dir, "ansible-tmp"),
          ANSIBLE_RETRY_FILES_ENABLED: "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("exit", (code) => done({ code: code ?? -1, out }));
  });
}

/** The PLAY RECAP line of each host: `{ok, changed, failed, ...}`. */
function recap(out: string): Record<string, Record<string, number>> {
  const hosts: Record<string, Record<string, number>> = {};
  const section = out.slice(out.lastIndexOf("PLAY RECAP"));
  for (const m of section.matchAll(/^(\S+)\s+:\s+(.*)$/gm)) {
    const counts: Record<string, number> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)=(\d+)/g)) counts[k ?? ""] = Number(v);
    hosts[m[1] ?? ""] = counts;
  }
  return hosts;
}

beforeAll(async () => {
  await fleet.start();
  port = await freePort();
  // Masters' own URL is https://127.0.0.1:port (Kubespray); nodes go direct to the first master.
  for (const [name, address] of [
    ["local", "127.0.0.1"],
    ["m1", HOSTS.m1],
    ["m2", HOSTS.m2],
  ] as const)
    await fleet.apiserver(name, address, port);
  dist = join(fleet.dir, "dist");
  await new Promise<void>((done, fail) =>
    execFile(
      resolve("node_modules/.bin/tsx"),
      ["scripts/build-agent.ts", "--target", "linux-x64", "--outdir", dist],
      { timeout: 240_000 },
      (e, _o, stderr) => (e ? fail(new Error(stderr)) : done()),
    ),
  );
  inventory = join(fleet.dir, "inventory");
  mkdirSync(join(inventory, "group_vars"), { recursive: true });
  const line = (h: keyof typeof HOSTS) =>
    `${h} ansible_connection=local ip=${HOSTS[h]} halo_agent_prefix=${prefix(h)}`;
  writeFileSync(
    join(inventory, "inventory.ini"),
    [
      "[kube_control_plane]",
      line("m1"),
      line("m2"),
      "",
      "[etcd:children]",
      "kube_control_plane",
      "",
      "[kube_node]",
      line("n1"),
      "",
      "[k8s_cluster:children]",
      "kube_control_plane",
      "kube_node",
      "",
    ].join("\n"),
  );
  // The sandbox agent config: files under each prefix, no service to check or reload.
  writeFileSync(
    join(inventory, "group_vars", "all.yml"),
    [
      `kube_apiserver_port: ${port}`,
      "loadbalancer_apiserver_localhost: false",
      "halo_agent_config:",
      "  healthTimeout: 5",
      "  artifacts:",
      "    hosts: { path: /etc/hosts }",
      "    endpoints: { path: /etc/halo/endpoints.json }",
      "    etcd-proxy: { path: /etc/halo/etcd-proxy.env, check: null, reload: null, health: null }",
      "",
    ].join("\n"),
  );
  for (const h of Object.keys(HOSTS)) {
    mkdirSync(join(prefix(h), "etc"), { recursive: true });
    writeFileSync(join(prefix(h), "etc/hosts"), `127.0.0.1 localhost\n`);
  }
  await fleet.createCluster(CLUSTER);
  // The operator's step before the playbook: the same inventory directory, through the CLI.
  const applied = halo("apply", "-f", inventory, "--yes");
  expect(applied.status, applied.stderr).toBe(0);
}, 300_000);
afterAll(() => fleet.stop());

type Nodes = { nodes: { host: string; status: string; registered: boolean }[] };

describe("deploy/ansible/halo-agents.yml against a Kubespray inventory", () => {
  it("installs, joins, applies and checks every host in one run", async () => {
    const r = await playbook();
    expect(r.code, r.out).toBe(0);
    const counts = recap(r.out);
    for (const h of Object.keys(HOSTS)) expect(counts[h]?.failed, r.out).toBe(0);
    const { nodes } = (await fleet.api<Nodes>("GET", `/v1/clusters/${CLUSTER}/nodes`)).body;
    expect(nodes.map((n) => [n.host, n.registered, n.status]).sort()).toEqual([
      ["m1", true, "applied"],
      ["m2", true, "applied"],
      ["n1", true, "applied"],
    ]);
    for (const h of Object.keys(HOSTS)) {
      expect(existsSync(join(prefix(h), "usr/local/bin/halo-agent"))).toBe(true);
      expect(readFileSync(join(prefix(h), "etc/halo/endpoints.json"), "utf8")).toContain(
        h === "n1" ? `https://${HOSTS.m1}:${port}` : `https://127.0.0.1:${port}`,
      );
      // Enabled for systemd: under the prefix, the wants link `systemctl --root enable` makes,
      // pointing at the unit's path inside that root.
      expect(readlinkSync(join(prefix(h), WANTS))).toBe("/etc/systemd/system/halo-agent.service");
    }
    // The run's join token was revoked at its end.
    const { tokens } = (
      await fleet.api<{ tokens: unknown[] }>("GET", `/v1/clusters/${CLUSTER}/join-tokens`)
    ).body;
    expect(tokens).toEqual([]);
  }, 300_000);

  it("changes nothing on a second run, or in --check mode", async () => {
    const again = await playbook();
    expect(again.code, again.out).toBe(0);
    for (const h of Object.keys(HOSTS)) expect(recap(again.out)[h]?.changed, again.out).toBe(0);
    const check = await playbook("--check");
    expect(check.code, check.out).toBe(0);
    for (const h of Object.keys(HOSTS)) expect(recap(check.out)[h]?.changed, check.out).toBe(0);
  }, 300_000);

  it("uninstalls one host with --limit and halo_agent_state=absent, leaving the others", async () => {
    const r = await playbook("--limit", "n1", "-e", "halo_agent_state=absent");
    expect(r.code, r.out).toBe(0);
    expect(Object.keys(recap(r.out))).toEqual(["n1"]);
    for (const f of [
      "usr/local/bin/halo-agent",
      "etc/halo/agent.yaml",
      "etc/halo/endpoints.json",
      "var/lib/halo",
      "etc/systemd/system/halo-agent.service",
    ])
      expect(existsSync(join(prefix("n1"), f)), f).toBe(false);
    expect(() => lstatSync(join(prefix("n1"), WANTS))).toThrow(/ENOENT/);
    expect(() => lstatSync(join(prefix("n1"), WANTS))).toThrow(/ENOENT/);
    // leave took halo's block out of /etc/hosts and left the rest.
    expect(readFileSync(join(prefix("n1"), "etc/hosts"), "utf8")).toBe("127.0.0.1 localhost\n");
    expect(existsSync(join(prefix("m1"), "var/lib/halo/credential.json"))).toBe(true);
  }, 300_000);

  it("fails a host with doctor's words when its apiserver does not answer", async () => {
    fleet.stopApiservers();
    const r = await playbook("--limit", "n1");
    expect(r.code).not.toBe(0);
    expect(recap(r.out).n1?.failed).toBe(1);
    expect(r.out).toContain("halo-agent doctor on n1");
    expect(r.out).toMatch(/FAIL +apiserver/);
  }, 300_000);
});
