import { describe, expect, it } from "vitest";
import { drainRefusal, drainView, withDown } from "../../shared/drain.ts";
import { renderHaproxy } from "../../shared/render/haproxy.ts";
import { renderNginx } from "../../shared/render/nginx.ts";

const rec = { host: "m2", since: 1_000, graceSeconds: 30 };
const node = (o: Partial<Parameters<typeof drainView>[1][number]> = {}) => ({
  connected: true,
  hasLb: true,
  drained: [] as string[],
  connections: {} as Record<string, number>,
  ...o,
});
const backends = [
  { name: "m1", address: "10.0.0.1", port: 6443 },
  { name: "m2", address: "10.0.0.2", port: 6443 },
];

describe("a drain's state", () => {
  it("is none without a record", () => {
    expect(drainView(null, [node()], 5_000)).toEqual({ state: "none", routing: 0, connections: 0 });
  });

  it("is draining while a connected LB node has not applied it or still holds connections", () => {
    expect(drainView(rec, [node(), node({ drained: ["m2"] })], 5_000)).toEqual({
      state: "draining",
      routing: 1,
      connections: 0,
    });
    expect(drainView(rec, [node({ drained: ["m2"], connections: { m2: 3 } })], 5_000)).toEqual({
      state: "draining",
      routing: 0,
      connections: 3,
    });
  });

  it("is drained once every connected LB node applied it with no connection left, or the grace passed", () => {
    const done = [node({ drained: ["m2"] }), node({ connected: false }), node({ hasLb: false })];
    expect(drainView(rec, done, 5_000).state).toBe("drained");
    expect(drainView(rec, [node()], 1_000 + 30_000).state).toBe("drained");
  });
});

describe("who may be drained", () => {
  it("refuses a host that is not a master, and the last master not drained", () => {
    expect(drainRefusal("n1", ["m1", "m2"], [])?.code).toBe("not-a-master");
    expect(drainRefusal("m2", ["m1", "m2"], ["m1"])?.code).toBe("last-master");
    expect(drainRefusal("m2", ["m1", "m2"], [])).toBeNull();
  });
});

describe("the LB spec a node renders", () => {
  it("marks drained and ejected backends down in nginx, only drained ones in HAProxy", () => {
    const spec = { backends };
    expect(withDown("nginx", spec, ["m2"], [])).toEqual({ backends, down: ["m2"] });
    expect(withDown("nginx", spec, [], ["m1"])).toEqual({ backends, down: ["m1"] });
    expect(withDown("haproxy", spec, [], ["m1"])).toBe(spec);
    expect(withDown("hosts", spec, ["m2"], [])).toBe(spec);
  });

  it("never marks every backend down: ejections give way first, then drains", () => {
    expect(withDown("nginx", { backends }, ["m2"], ["m1"])).toEqual({ backends, down: ["m2"] });
    expect(withDown("nginx", { backends }, ["m1", "m2"], [])).toEqual({ backends });
  });

  it("renders nginx with `down` and a bounded shutdown of old workers", () => {
    const conf = renderNginx({ listenPort: 6443, healthPort: 8081, backends, down: ["m2"] });
    expect(conf).toContain("    server 10.0.0.1:6443 max_fails=1 fail_timeout=10s; # m1\n");
    expect(conf).toContain("    server 10.0.0.2:6443 down; # m2\n");
    expect(conf).toContain("worker_shutdown_timeout 3s;\n");
    expect(() =>
      renderNginx({ listenPort: 6443, healthPort: 8081, backends, down: ["m1", "m2"] }),
    ).toThrow(/every backend down/);
  });

  it("renders HAProxy checking /readyz over TLS, shutting a downed server's sessions, keeping all when all are down", () => {
    const cfg = renderHaproxy({
      mode: "localhost",
      listenPort: 6443,
      healthPort: 8081,
      v6: false,
      backends,
      down: ["m2"],
    });
    expect(cfg).toContain(
      "  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host kube-apiserver\n",
    );
    expect(cfg).toContain("  http-check expect rstatus ^(200|401|403)$\n");
    expect(cfg).toMatch(
      /default-server check check-ssl verify none inter 2s .* on-marked-down shutdown-sessions\n/,
    );
    expect(cfg).toContain("  server m2 10.0.0.2:6443 disabled\n");
    expect(cfg).toContain("  server m1-all-down 10.0.0.1:6443 backup no-check\n");
    expect(cfg).not.toContain("m2-all-down");
  });
});
