import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT, BUN, Fleet, type Node } from "./fleet.ts";

const CLUSTER = "doctor";
const fleet = new Fleet();
let n1: Node;

/**
 * `halo-agent doctor` on n1's sandbox, as an operator runs it after joining. Asynchronous: the
 * apiserver stand-in it probes lives in this process.
 */
function doctor(config = n1.config): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(
      BUN,
      [AGENT, "doctor", "--root", n1.root, "--state", n1.state, "--config", config],
      { encoding: "utf8", timeout: 30_000 },
      (e, stdout, stderr) =>
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          out: stdout + stderr,
        }),
    );
  });
}

beforeAll(async () => {
  await fleet.start();
  await fleet.apiserver("m1", "127.0.32.1", 6443);
  await fleet.createCluster(CLUSTER);
  await fleet.api("PUT", `/v1/clusters/${CLUSTER}/topology`, {
    hosts: { m1: { ip: "127.0.32.1" }, n1: { ip: "127.0.32.11" } },
    groups: {
      "kube-master": { hosts: ["m1"], children: [] },
      etcd: { hosts: ["m1"], children: [] },
      "kube-node": { hosts: ["n1"], children: [] },
    },
    vars: { kube_apiserver_port: 6443 },
  });
  const token = await fleet.joinToken(CLUSTER);
  n1 = fleet.node("n1", {
    hosts: { path: "/etc/hosts" },
    endpoints: { path: "/etc/halo/endpoints.json" },
    "etcd-proxy": { path: "/etc/halo/etcd-proxy.env", check: null, reload: "true", health: null },
    kubeconfig: { paths: ["/etc/kubernetes/kubelet.conf"], reload: null, health: null },
    nginx: { path: "/etc/nginx/nginx.conf", check: "nginx -t -q -c {staged}", reload: null },
  });
  n1.join(token, "127.0.32.11");
}, 60_000);
afterAll(() => fleet.stop());

describe("halo-agent doctor", () => {
  it("before the first apply: says the credential works and nothing is applied yet", async () => {
    const r = await doctor();
    expect(r.out).toMatch(/ok +credential +host n1 in cluster doctor/);
    expect(r.out).toMatch(/ok +control plane +http:\/\/127\.0\.0\.1:\d+ answered in \d+ ms/);
    expect(r.out).toMatch(/-- +last apply +nothing applied yet/);
    // n1 dials m[0] directly: it gets no nginx, so nginx is not checked here.
    expect(r.out).toMatch(/-- +nginx +not sent to this node/);
    // The directory of endpoints.json does not exist yet in the sandbox: a plain failure.
    expect(r.out).toMatch(/FAIL +endpoints path +directory .*\/etc\/halo does not exist/);
    expect(r.code).toBe(1);
  });

  it("after an apply: every check passes, the apiserver path answers, absent kubeconfigs are fine", async () => {
    const agent = n1.run(["--once"]);
    await new Promise((r) => agent.once("exit", r));
    expect(agent.exitCode, n1.output()).toBe(0);
    const r = await doctor();
    expect(r.out).toMatch(/ok +hosts path +.*\/etc\/hosts writable/);
    expect(r.out).toMatch(/ok +etcd-proxy reload +true found/);
    expect(r.out).toMatch(/ok +kubeconfig path +.*kubelet\.conf absent: skipped until it exists/);
    expect(r.out).toMatch(/ok +last apply +version 1 applied at /);
    expect(r.out).toMatch(/ok +apiserver +https:\/\/127\.0\.32\.1:6443 answered in [\d.]+ ms/);
    expect(r.out).toContain("all checks passed");
    expect(r.code, r.out).toBe(0);
  });

  it("names a check command that is not installed, and an apiserver path that does not answer", async () => {
    const config = join(fleet.dir, "broken-agent.json");
    writeFileSync(
      config,
      JSON.stringify({
        artifacts: {
          hosts: { path: "/etc/hosts", check: "no-such-checker {staged}" },
          endpoints: { path: "/etc/halo/endpoints.json" },
          "etcd-proxy": null,
          kubeconfig: null,
          nginx: null,
          haproxy: null,
        },
      }),
    );
    fleet.stopApiservers();
    const r = await doctor(config);
    expect(r.out).toMatch(/FAIL +hosts check +no-such-checker not found on PATH/);
    expect(r.out).toMatch(/FAIL +apiserver +https:\/\/127\.0\.32\.1:6443: .*ECONNREFUSED/);
    expect(r.out).toMatch(/2 check\(s\) failed/);
    expect(r.code).toBe(1);
  });

  it("says plainly when the credential was revoked", async () => {
    expect((await fleet.api("DELETE", `/v1/clusters/${CLUSTER}/hosts/n1`)).status).toBe(200);
    const r = await doctor();
    expect(r.out).toMatch(/FAIL +control plane +.* refused the credential: join again/);
    expect(r.code).toBe(1);
  });
});
