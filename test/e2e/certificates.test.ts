import { haloCli } from "../support/halo-cli.ts";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuditList,
  CertificateList,
  NodeList,
  PutTopologyResponse,
} from "../../shared/api-schemas.ts";
import { ApiserverStandin } from "../../scripts/apiserver-standin.ts";
import { issue, makeCA, type Pem } from "../../scripts/certs.ts";
import { Fleet, waitFor, type Node } from "./fleet.ts";
import { kubeletConfig } from "./kubelet.ts";
import { SANDBOXED } from "./nginx.ts";

const CLUSTER = "certs";
const PORT = 6443;
const M1 = "127.0.33.1";
const M2 = "127.0.33.2";
const N1 = "127.0.33.11";
/** The external LB's VIP: a TLS stand-in there plays the LB passing TLS through to a master. */
const VIP = { address: "127.0.33.100", port: 8443 };
const LB_NAME = "lb-apiserver.kubernetes.local";

/** The Kargo document's cluster: nodes through a localhost LB, then (the change) an external LB. */
const topology = (externalLb: boolean) => ({
  hosts: { m1: { ip: M1 }, m2: { ip: M2 }, n1: { ip: N1 } },
  groups: {
    "kube-master": { hosts: ["m1", "m2"], children: [] },
    etcd: { hosts: ["m1"], children: [] },
    "kube-node": { hosts: ["n1"], children: [] },
  },
  vars: {
    kube_apiserver_port: PORT,
    loadbalancer_apiserver_localhost: true,
    ...(externalLb ? { loadbalancer_apiserver: VIP } : {}),
  },
});

const ca = makeCA("halo-test-ca");
const otherCA = makeCA("another-ca");
const sans = (ip: string, extra: string[] = []) => ["localhost", "127.0.0.1", ip, ...extra];

/** kubelet's kubeconfig as kubeadm writes it: the cluster CA inline. */
const kubelet = (server: string) => kubeletConfig(server, ca.cert);

const issued: Record<string, Pem> = {};
function remember(name: string, p: Pem): Pem {
  issued[name] = p;
  return p;
}
function issueOf(name: string): Pem {
  const p = issued[name];
  if (!p) throw new Error(`no certificate issued for ${name}`);
  return p;
}

const fleet = new Fleet();
const standins: Record<string, ApiserverStandin> = {};
let n1: Node;
let cliConfig = "";

/** The operator's CLI, as a user runs it. */
function halo(...args: string[]) {
  const r = spawnSync(process.execPath, [haloCli(), ...args], {
    encoding: "utf8",
    env: { ...process.env, HALO_CONFIG: cliConfig, HALO_SERVER: "", HALO_TOKEN: "" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const nodes = async () =>
  (await fleet.call(NodeList, "GET", `/v1/clusters/${CLUSTER}/nodes`)).body.nodes;
const n1Tls = async () => (await nodes()).find((n) => n.host === "n1")?.tls;
const metrics = async () =>
  (
    await fetch(`${fleet.cp.url}/v1/clusters/${CLUSTER}/metrics`, {
      headers: { authorization: "Bearer e2e-admin-token-0123456789abcdef" },
    })
  ).text();

/** Waits until the control plane holds the certificate each named master serves now. */
async function observed(want: Record<string, Pem>): Promise<void> {
  await fleet.explain(
    waitFor(
      "the masters' certificates as observed",
      async () => {
        const { certificates } = (
          await fleet.call(CertificateList, "GET", `/v1/clusters/${CLUSTER}/certificates`)
        ).body;
        return Object.entries(want).every(([m, p]) =>
          certificates.some(
            (c) => c.master === m && c.fingerprint === new X509Certificate(p.cert).fingerprint256,
          ),
        );
      },
      40_000,
    ),
  );
}

const serve = (name: string, address: string, port: number, pem: Pem) => {
  standins[name] = new ApiserverStandin(name, address, port, pem);
  return standins[name].start();
};

beforeAll(async () => {
  await fleet.start();
  cliConfig = join(fleet.dir, "cli.json");
  await serve("m1", M1, PORT, remember("m1", issue(ca, sans(M1))));
  await serve("m2", M2, PORT, remember("m2", issue(ca, sans(M2))));
  await serve("lb", VIP.address, VIP.port, issue(ca, sans(VIP.address)));
  await fleet.createCluster(CLUSTER);
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/live-policy`, { probeIntervalSeconds: 2 });
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(false));
  const token = await fleet.joinToken(CLUSTER);
  n1 = fleet.node("n1", {
    ...SANDBOXED,
    nginx: null,
    haproxy: null,
    kubeconfig: { paths: ["/etc/kubernetes/kubelet.conf"], reload: null, health: null },
  });
  mkdirSync(join(n1.root, "etc/kubernetes"), { recursive: true });
  writeFileSync(join(n1.root, "etc/kubernetes/kubelet.conf"), kubelet(`https://${M1}:${PORT}`));
  n1.join(token, N1);
  n1.run();
  await fleet.converged(CLUSTER, ["n1"]);
  const login = spawnSync(
    process.execPath,
    [haloCli(), "login", "--server", fleet.cp.url, "--token-file", "-", "--cluster", CLUSTER],
    {
      encoding: "utf8",
      input: "e2e-admin-token-0123456789abcdef\n",
      env: { ...process.env, HALO_CONFIG: cliConfig },
    },
  );
  expect(login.status, login.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  for (const s of Object.values(standins)) await s.stop();
  await fleet.stop();
});

const kubeconfigServer = () =>
  /server: (\S+)/.exec(readFileSync(join(n1.root, "etc/kubernetes/kubelet.conf"), "utf8"))?.[1];

describe("certificates that cannot break a node", () => {
  it("shows what the masters serve: coverage of each node's name, one CA, the expiry", async () => {
    await observed({ m1: issueOf("m1"), m2: issueOf("m2") });
    expect(kubeconfigServer()).toBe("https://localhost:6443");
    const tls = await n1Tls();
    expect(tls).toEqual({
      covered: true,
      missing: [],
      caMismatch: false,
      expiresInDays: 89,
      expiry: null,
    });
    const text = await metrics();
    expect(text).toContain(
      `halo_apiserver_cert_covered{cluster="${CLUSTER}",master="m1",name="localhost"} 1`,
    );
    expect(text).toContain(
      `halo_apiserver_cert_covered{cluster="${CLUSTER}",master="m2",name="localhost"} 1`,
    );
  });

  it("marks a master from another CA, and one expiring within 7 days, in the listing, the CLI and metrics", async () => {
    standins.m2?.setCertificate(remember("m2", issue(otherCA, sans(M2, [LB_NAME]), 5)));
    await observed({ m2: issueOf("m2") });
    const tls = await fleet.explain(
      waitFor("n1's TLS standing", async () => {
        const t = await n1Tls();
        return t?.caMismatch && t;
      }),
    );
    expect(tls).toEqual({
      covered: true,
      missing: [],
      caMismatch: true,
      expiresInDays: 4,
      expiry: "alert",
    });
    const status = halo("status");
    console.log(`$ halo status\n${status.out}`);
    expect(status.out).toContain("CA mismatch");
    expect(status.out).toContain("ALERT: certificate expires in 4 day(s)");
    const describe = halo("describe", "node", "n1");
    expect(describe.out).toContain("tls:        covered; CA MISMATCH");
    const m2 = /halo_apiserver_cert_expiry_seconds\{cluster="certs",master="m2"\} (\d+)/.exec(
      await metrics(),
    );
    expect(Number(m2?.[1])).toBeGreaterThan(4 * 86_400);
    expect(Number(m2?.[1])).toBeLessThan(5 * 86_400);
    // Renewed from the cluster CA again, for what follows.
    standins.m2?.setCertificate(remember("m2", issue(ca, sans(M2))));
    await observed({ m2: issueOf("m2") });
    await fleet.explain(waitFor("one CA again", async () => (await n1Tls())?.caMismatch === false));
  });

  it("refuses to point nodes at the LB name the masters' certificates lack, naming them (API and CLI)", async () => {
    const r = await fleet.api(
      "PUT",
      `/v1/clusters/${CLUSTER}/topology?dryRun=true`,
      topology(true),
    );
    expect(r.status).toBe(422);
    const body = r.body as {
      type: string;
      detail: string;
      errors: Array<{ path: string; message: string }>;
    };
    expect(body.type).toMatch(/uncovered-name$/);
    // With an external LB the masters' own components use the LB name too (the Kargo table).
    expect(body.detail).toContain(
      `m1, m2, n1 would use ${LB_NAME}, which the certificate of m1, m2 does not cover`,
    );
    expect(body.detail).toContain("supplementary_addresses_in_ssl_keys");
    expect(body.errors).toEqual(
      ["m1", "m2", "n1"].map((h) => ({
        path: `hosts.${h}`,
        message: `${LB_NAME} is not covered by the certificate of m1, m2`,
      })),
    );
    // Nothing was committed: a real PUT is refused the same way.
    expect(
      (await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(true))).status,
    ).toBe(422);
    const file = join(fleet.dir, "with-lb.json");
    writeFileSync(file, JSON.stringify(topology(true)));
    const plan = halo("plan", "-f", file);
    console.log(`$ halo plan -f with-lb.json\n${plan.out}${plan.err}`);
    expect(plan.code).not.toBe(0);
    expect(plan.err).toContain(`${LB_NAME}, which the certificate of m1, m2 does not cover`);
    const forced = halo("plan", "-f", file, "--force");
    console.log(`$ halo plan -f with-lb.json --force\n${forced.out}${forced.err}`);
    expect(forced.code).toBe(0);
    expect(forced.out).toContain(
      `FORCED n1: ${LB_NAME} is not covered by the certificate of m1, m2`,
    );
  });

  it("applies it with force, audited; the agent's own check refuses the kubeconfig change, nothing written", async () => {
    const before = readFileSync(join(n1.root, "etc/kubernetes/kubelet.conf"), "utf8");
    const r = await fleet.call(
      PutTopologyResponse,
      "PUT",
      `/v1/clusters/${CLUSTER}/topology?force=true`,
      topology(true),
    );
    expect(r.status).toBe(200);
    expect(r.body.tls).toEqual({
      unobserved: [],
      uncovered: ["m1", "m2", "n1"].map((node) => ({ node, name: LB_NAME, masters: ["m1", "m2"] })),
      forced: true,
    });
    const audit = await fleet.call(AuditList, "GET", `/v1/clusters/${CLUSTER}/audit`);
    const entry = audit.body.entries.find((e) => e.action === "topology.force");
    expect(entry?.detail).toMatchObject({
      count: 3,
      uncovered: [{ node: "m1", name: LB_NAME }, {}, {}],
    });
    // The canary refuses before writing: kubelet would not trust the LB name.
    const node = await fleet.explain(
      waitFor("n1's preflight refusal", async () => {
        const n = (await nodes()).find((x) => x.host === "n1");
        return n?.lastError?.startsWith("preflight:") && n;
      }),
    );
    expect(node.lastError).toMatch(
      /^preflight: kubelet would not trust https:\/\/lb-apiserver\.kubernetes\.local:8443/,
    );
    expect(node.lastError).toContain(LB_NAME);
    expect(readFileSync(join(n1.root, "etc/kubernetes/kubelet.conf"), "utf8")).toBe(before);
    await fleet.rollout(CLUSTER, ["reverted", "paused", "aborted"]);
  });

  it("passes the same plan once the masters' certificates carry the name, and the node moves", async () => {
    for (const [m, ip] of [
      ["m1", M1],
      ["m2", M2],
      ["lb", VIP.address],
    ] as const)
      standins[m]?.setCertificate(remember(m, issue(ca, sans(ip, [LB_NAME]))));
    await observed({ m1: issueOf("m1"), m2: issueOf("m2") });
    const file = join(fleet.dir, "with-lb.json");
    const plan = halo("plan", "-f", file);
    console.log(
      `$ halo plan -f with-lb.json   # certificates renewed with ${LB_NAME}\n${plan.out}${plan.err}`,
    );
    expect(plan.code).toBe(0);
    expect(plan.out).not.toContain("FORCED");
    const r = await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, topology(true));
    expect(r.status).toBe(200);
    await fleet.explain(
      waitFor(
        "kubelet.conf names the LB",
        () => kubeconfigServer() === `https://${LB_NAME}:8443`,
        30_000,
      ),
    );
  });
});
