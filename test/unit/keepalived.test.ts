import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileCluster } from "../../shared/bundle.ts";
import type { Topology } from "../../shared/topology/schema.ts";
import { parseTopology } from "../../shared/topology/validate.ts";
import { run } from "../support/binaries.ts";
import { cluster, plans } from "../support/topologies.ts";

const dir = mkdtempSync(join(tmpdir(), "halo-keepalived-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VIP = { loadbalancer_apiserver: { address: "10.0.2.100", port: 8383 } };

/** The test cluster with `n` lb hosts (lb1 is 10.0.2.1, lb2 10.0.2.2, ...). */
function withLbs(
  n: number,
  vars: Record<string, unknown> = {},
  lbVars: Record<string, unknown> = {},
): Topology {
  const names = Array.from({ length: n }, (_, i) => `lb${i + 1}`);
  const t = cluster({ ...VIP, halo_vip_interface: "eth0", ...vars });
  for (const [i, h] of names.entries()) t.hosts[h] = { ip: `10.0.2.${i + 1}`, vars: lbVars };
  t.groups.lb = { hosts: names, children: [] };
  return t;
}

const keepalived = (t: Topology, host: string) =>
  plans(t)
    .get(host)
    ?.bundle.artifacts.find((a) => a.kind === "keepalived");

function refused(t: unknown): Array<{ path: string; message: string }> {
  const parsed = parseTopology(t);
  if (!parsed.ok) return parsed.error;
  const compiled = compileCluster(parsed.value, 1);
  return compiled.ok ? [] : compiled.error;
}

describe("keepalived for the external LB's VIP", () => {
  it("is not rendered for one lb host: there is nothing to move the VIP to", () => {
    expect(keepalived(withLbs(1), "lb1")).toBeUndefined();
  });

  it("renders one VRRP instance per lb host for 2: unicast peers, the first host preferred", () => {
    const t = withLbs(2);
    const [a, b] = [keepalived(t, "lb1"), keepalived(t, "lb2")];
    expect(a?.spec).toMatchObject({
      vip: "10.0.2.100",
      interface: "eth0",
      priority: 150,
      self: "10.0.2.1",
      peers: ["10.0.2.2"],
      advertInt: 1,
      healthPort: 8081,
    });
    expect(b?.spec).toMatchObject({ priority: 140, self: "10.0.2.2", peers: ["10.0.2.1"] });
    const [sa, sb] = [
      a?.spec as { routerId: number; authPass: string },
      b?.spec as { routerId: number; authPass: string },
    ];
    expect(sa.routerId).toBe(sb.routerId);
    expect(sa.authPass).toBe(sb.authPass);
    expect(a?.content).toContain("virtual_ipaddress {\n    10.0.2.100/32 dev eth0\n  }");
    expect(a?.content).toContain("script \"/bin/bash -c '</dev/tcp/127.0.0.1/8081'\"");
    // Nodes and masters do not get it.
    expect(keepalived(t, "n1")).toBeUndefined();
    expect(keepalived(t, "m1")).toBeUndefined();
  });

  it("renders priorities 150, 140, 130 and two peers each for 3 lb hosts; configs pass keepalived --config-test", () => {
    const t = withLbs(3, { halo_vip_router_id: 42, halo_vip_advert_int: "2" });
    for (const [i, h] of ["lb1", "lb2", "lb3"].entries()) {
      const a = keepalived(t, h);
      expect(a?.spec).toMatchObject({ priority: 150 - 10 * i, routerId: 42, advertInt: 2 });
      expect((a?.spec as { peers: string[] }).peers).toHaveLength(2);
      expect(a?.content).toContain("\n  check_unicast_src\n");
      const file = join(dir, `${h}.conf`);
      writeFileSync(file, a?.content ?? "");
      const r = run("keepalived", ["--config-test", "-f", file]);
      expect(r.code, r.output).toBe(0);
    }
  });

  it("keepalived --config-test fails on a broken config (the check can fail)", () => {
    const file = join(dir, "broken.conf");
    writeFileSync(file, "vrrp_instance x {\n  priority 999\n}\n");
    expect(run("keepalived", ["--config-test", "-f", file]).code).not.toBe(0);
  });

  it("derives a different router id and password for another VIP", () => {
    const a = keepalived(withLbs(2), "lb1")?.spec as { routerId: number; authPass: string };
    const other = withLbs(2, { loadbalancer_apiserver: { address: "10.0.2.200", port: 8383 } });
    const b = keepalived(other, "lb1")?.spec as { routerId: number; authPass: string };
    expect(a.routerId).toBeGreaterThanOrEqual(1);
    expect(a.routerId).toBeLessThanOrEqual(255);
    expect(`${a.routerId} ${a.authPass}`).not.toBe(`${b.routerId} ${b.authPass}`);
  });

  it("refuses an lb host without halo_vip_interface, naming the host", () => {
    const t = withLbs(2, { halo_vip_interface: undefined });
    delete t.vars.halo_vip_interface;
    t.hosts.lb1 = { ip: "10.0.2.1", vars: { halo_vip_interface: "eth0" } };
    const issues = refused(t);
    expect(issues.map((i) => i.path)).toEqual(["hosts.lb2.vars.halo_vip_interface"]);
    expect(issues[0]?.message).toMatch(/required on every lb host/);
  });

  it("refuses a VIP that is a host's own address", () => {
    const issues = refused(
      withLbs(2, { loadbalancer_apiserver: { address: "10.0.2.2", port: 8383 } }),
    );
    expect(issues).toContainEqual({
      path: "loadbalancer_apiserver.address",
      message: "is lb2's own address: the VIP must be an address no host has",
    });
  });

  it.each([
    ["halo_vip_router_id", 0, /from 1 to 255/],
    ["halo_vip_router_id", 256, /from 1 to 255/],
    ["halo_vip_advert_int", "soon", /whole number/],
    ["halo_vip_interface", "eth0; rm -rf /", /interface name/],
    ["halo_vip_interface", "a-very-long-interface-name", /interface name/],
  ])("refuses %s = %j", (name, value, message) => {
    const issues = refused(withLbs(2, { [name]: value }));
    const hit = issues.find((i) => i.path.endsWith(name));
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });
});
