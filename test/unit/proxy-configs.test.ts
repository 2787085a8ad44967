import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../support/binaries.ts";
import { cluster, plans, seedCluster } from "../support/topologies.ts";

const dir = mkdtempSync(join(tmpdir(), "halo-configs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const v6Masters = () => {
  const t = cluster({ loadbalancer_apiserver_localhost: true });
  t.hosts.m1 = { ip6: "fd00::1" };
  t.hosts.m2 = { ip: "10.0.0.2", access_ip6: "fd00::2" };
  return t;
};

const seed = seedCluster;

/** Every way a proxy config gets rendered; each must satisfy the real binary's own check. */
const SCENARIOS: Array<[string, unknown]> = [
  ["the Kargo document's example cluster (external HAProxy on lb1)", seed()],
  ["an nginx localhost LB", cluster({ loadbalancer_apiserver_localhost: true })],
  ["an nginx localhost LB with IPv6 masters", v6Masters()],
  [
    "a HAProxy localhost LB",
    cluster({ loadbalancer_apiserver_localhost: true, loadbalancer_apiserver_type: "haproxy" }),
  ],
  ["the kubespray profile", cluster({ halo_profile: "kubespray" })],
  ["an IPv6 VIP", cluster({ loadbalancer_apiserver: { address: "fd00::99", port: 8383 } })],
];

const configs = SCENARIOS.flatMap(([name, t]) => {
  const seen = new Set<string>();
  return [...plans(t).values()].flatMap((p) =>
    p.bundle.artifacts
      .filter(
        (a) =>
          (a.kind === "nginx" || a.kind === "haproxy") && !seen.has(a.sha256) && seen.add(a.sha256),
      )
      .map((a) => ({
        name: `${name}: ${a.kind} ${a.sha256.slice(0, 8)}`,
        kind: a.kind,
        content: a.content,
      })),
  );
});

describe("rendered proxy configs pass the real binaries' checks", () => {
  it("renders at least one config per scenario", () => {
    expect(configs.length).toBeGreaterThanOrEqual(SCENARIOS.length);
  });

  it.each(configs)("$name", ({ kind, content, name }) => {
    const file = join(dir, `${name.replace(/\W+/g, "-")}.conf`);
    writeFileSync(file, content);
    const r =
      kind === "nginx" ? run("nginx", ["-t", "-c", file]) : run("haproxy", ["-c", "-f", file]);
    expect(r.output).not.toMatch(/\[emerg\]|\[ALERT\]/);
    expect(r.code, r.output).toBe(0);
  });

  it("nginx refuses a broken config (the check can fail)", () => {
    const file = join(dir, "broken.conf");
    writeFileSync(
      file,
      "events {}\nstream { upstream u { } server { listen 127.0.0.1:1; proxy_pass u; } }\n",
    );
    expect(run("nginx", ["-t", "-c", file]).code).not.toBe(0);
  });
});
