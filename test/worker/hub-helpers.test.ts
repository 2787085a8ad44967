import { describe, expect, it } from "vitest";
import type { Bundle } from "../../shared/bundle.ts";
import { target } from "../../shared/live.ts";
import { ejectionEvents, eventsOf } from "../../worker/hub/events.ts";
import { reportPatch } from "../../worker/hub/live.ts";
import { needsBundle, noteSent, takeAck, type SocketState } from "../../worker/hub/socket-state.ts";

const state = (over: Partial<SocketState> = {}): SocketState => ({
  cluster: "c",
  host: "n1",
  tokenId: "t",
  helloed: true,
  applied: null,
  sent: null,
  awaiting: [],
  badFrames: 0,
  ...over,
});
const bundle = (hash: string, version = 1) => ({ version, hash, artifacts: [] }) as Bundle;

describe("what the hub believes of a connection", () => {
  it("sends a bundle only when it is neither applied nor in flight, and never before hello", () => {
    expect(needsBundle(state(), bundle("a"))).toBe(true);
    expect(needsBundle(state({ helloed: false }), bundle("a"))).toBe(false);
    expect(needsBundle(state({ applied: { version: 1, hash: "a" } }), bundle("a"))).toBe(false);
    const s = state();
    noteSent(s, { version: 1, hash: "a" });
    expect(needsBundle(s, bundle("a"))).toBe(false);
    expect(needsBundle(s, bundle("b", 2))).toBe(true);
    expect(needsBundle(s, undefined)).toBe(false);
  });

  it("believes an ack once, for a bundle sent on this connection only", () => {
    const s = state();
    expect(takeAck(s, { version: 1, hash: "a" })).toBe(false);
    noteSent(s, { version: 1, hash: "a" });
    expect(takeAck(s, { version: 2, hash: "a" })).toBe(false);
    expect(takeAck(s, { version: 1, hash: "a" })).toBe(true);
    expect(takeAck(s, { version: 1, hash: "a" })).toBe(false);
    expect(
      takeAck(state({ helloed: false, awaiting: [{ version: 1, hash: "a" }] }), {
        version: 1,
        hash: "a",
      }),
    ).toBe(false);
    // It remembers the last 8 sent: an ack of an older one is not believed.
    const many = state();
    for (let v = 1; v <= 9; v++) noteSent(many, { version: v, hash: `h${v}` });
    expect(takeAck(many, { version: 1, hash: "h1" })).toBe(false);
    expect(takeAck(many, { version: 9, hash: "h9" })).toBe(true);
  });
});

describe("the events a node's changes make", () => {
  it("makes node, probe and drift frames, and none for a heartbeat", () => {
    const types = (p: Parameters<typeof eventsOf>[1]) => eventsOf("n1", p).map((e) => e.type);
    expect(types({ status: "applied", appliedVersion: 2 })).toEqual(["node"]);
    expect(types({ connected: true, lastSeen: 1 })).toEqual(["node"]);
    expect(types({ lastSeen: 5 })).toEqual([]);
    expect(types({ probes: {}, apiserverOk: true, apiserverMs: 1, connected: true })).toEqual([
      "probe",
    ]);
    expect(
      eventsOf("n1", { lastDrift: { at: "x", kinds: ["nginx"], healed: false } }),
    ).toMatchObject([{ type: "drift", host: "n1", kinds: ["nginx"], healed: false }]);
  });

  it("says which masters a node's LB took out and put back", () => {
    expect(ejectionEvents("n1", ["m1"], ["m2"])).toMatchObject([
      { type: "ejection", host: "n1", master: "m2", ejected: true },
      { type: "ejection", host: "n1", master: "m1", ejected: false },
    ]);
  });
});

describe("what a report changes", () => {
  const known = new Map(
    [target("apiserver", "10.0.0.1:443", "m1"), target("etcd", "10.0.0.1:2379")].map((t) => [
      t.id,
      t,
    ]),
  );
  const cert = {
    fingerprint: Array(32).fill("AA").join(":"),
    dns: ["localhost"],
    ips: [],
    issuer: "CN=kubernetes",
    ca: null,
    notAfter: "2027-01-01T00:00:00.000Z",
  };

  it("keeps known targets' results without their certificates, which go per master", () => {
    const { patch, certs } = reportPatch(
      {
        type: "report",
        probes: {
          results: {
            "apiserver:10.0.0.1:443": { ok: true, ms: 1.26, cert },
            "apiserver:203.0.113.9:22": { ok: true, ms: 1, cert },
          },
          apiserver: { ok: false, ms: 3.14 },
        },
      },
      10,
      known,
      "n1",
    );
    expect(patch.probes).toEqual({
      "apiserver:10.0.0.1:443": { ok: true, ms: 1.26 },
    });
    expect(patch).toMatchObject({ apiserverOk: false, apiserverMs: 3.1, probedAt: 10 });
    expect(certs).toEqual([{ master: "m1", cert }]);
  });

  it("takes a master's own certificate only from that master, and records drift", () => {
    const r = reportPatch({ type: "report", served: cert }, 1, known, "n1");
    expect(r.certs).toEqual([]);
    expect(reportPatch({ type: "report", served: cert }, 1, known, "m1").certs).toEqual([
      { master: "m1", cert },
    ]);
    const drift = reportPatch(
      { type: "report", drift: { kinds: ["nginx", "hosts"], healed: true } },
      0,
      known,
      "n1",
    );
    expect(drift.drift).toEqual({ kinds: ["hosts", "nginx"], healed: true });
    expect(drift.patch.drift).toEqual([]);
  });
});
