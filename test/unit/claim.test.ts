import { describe, expect, it } from "vitest";
import { claimHost, type Membership } from "../../shared/topology/membership.ts";
import { parseTopology } from "../../shared/topology/validate.ts";

const membership = (registered: string[] = []): Membership => {
  const t = parseTopology({
    hosts: { m1: { ip: "10.0.0.1" }, n1: { ip: "10.0.1.1" }, n2: {} },
    groups: {
      "kube-master": { hosts: ["m1"], children: [] },
      etcd: { hosts: ["m1"], children: [] },
      "kube-node": { hosts: ["n1", "n2"], children: [] },
    },
    vars: {},
  });
  if (!t.ok) throw new Error("bad topology");
  return { topology: t.value, registered };
};
const join = (host: string, over: Partial<Parameters<typeof claimHost>[1]> = {}) => ({
  host,
  ip: "10.0.9.9",
  tokenGroups: ["kube-node"],
  reimage: false,
  hasCredential: false,
  ...over,
});

describe("the join claim rule", () => {
  it("lets a new host join in the token's groups, registered", () => {
    const r = claimHost(membership(), join("n9"));
    expect(r).toMatchObject({ ok: true, claim: "new" });
    if (!r.ok) return;
    expect(r.next.registered).toEqual(["n9"]);
    expect(r.next.topology.hosts.n9).toEqual({ ip: "10.0.9.9" });
    expect(claimHost(null, join("n9"))).toMatchObject({
      ok: true,
      claim: "new",
      next: { registered: ["n9"] },
    });
  });

  it("claims a declared host the token covers, filling in only a missing address", () => {
    const kept = claimHost(membership(), join("n1"));
    expect(kept).toMatchObject({ ok: true, claim: "declared" });
    if (kept.ok) expect(kept.next.topology.hosts.n1).toEqual({ ip: "10.0.1.1" });
    const filled = claimHost(membership(), join("n2"));
    if (!filled.ok) throw new Error("refused");
    expect(filled.next.topology.hosts.n2).toEqual({ ip: "10.0.9.9" });
    expect(filled.next.registered).toEqual([]);
  });

  it("refuses a declared host in groups the token does not grant", () => {
    expect(claimHost(membership(), join("m1"))).toEqual({
      ok: false,
      refusal: {
        reason: "forbidden",
        message:
          "host 'm1' is declared in 'kube-master', 'etcd', which this join token does not grant",
      },
    });
  });

  it("gives a host with an agent to a token naming it only (re-imaging)", () => {
    expect(claimHost(membership(), join("n1", { hasCredential: true }))).toMatchObject({
      ok: false,
      refusal: { reason: "registered" },
    });
    expect(claimHost(membership(["n1"]), join("n1"))).toMatchObject({
      ok: false,
      refusal: { reason: "registered" },
    });
    expect(
      claimHost(membership(), join("n1", { hasCredential: true, reimage: true })),
    ).toMatchObject({ ok: true, claim: "reimage" });
  });
});
