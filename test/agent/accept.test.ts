import { describe, expect, it } from "vitest";
import { acceptBundle } from "../../agent/accept.ts";
import { allowedTargets } from "../../agent/live.ts";
import { target } from "../../shared/live.ts";
import { toWire, type WireBundle } from "../../shared/bundle-schema.ts";
import { RENDERER_VERSION } from "../../shared/kinds/registry.ts";
import { cluster, plans } from "../support/topologies.ts";

/** What the hub sends n1 of a cluster with an nginx localhost LB: specs, no content. */
const wire = (): WireBundle => {
  const p = plans(cluster({ loadbalancer_apiserver_localhost: true })).get("n1");
  if (!p) throw new Error("no plan for n1");
  return toWire(p.bundle, RENDERER_VERSION);
};
const all = () => true;
const refusal = (w: unknown) => {
  const r = acceptBundle(w as WireBundle, all);
  return r.ok ? null : r.error;
};
const nginxAt = (w: WireBundle) =>
  w.artifacts.findIndex((a) => (a as { kind: string }).kind === "nginx");

describe("what an agent accepts from the server", () => {
  it("renders every file itself from the specs and gets the server's hashes", () => {
    const r = acceptBundle(wire(), all);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.skipped).toEqual([]);
    const nginx = r.value.bundle.artifacts.find((a) => a.kind === "nginx");
    expect(nginx?.content).toContain("upstream kube_apiserver");
    expect(nginx?.content).toContain("server 10.0.0.1:443");
  });

  it.each([
    ["http://203.0.113.9:8080", "must be https://, or http:// to a loopback host"],
    ["http://10.0.0.1:8080", "must be https://, or http:// to a loopback host"],
  ])("refuses to point kubelet at %s", (server, message) => {
    const w = wire();
    const i = w.artifacts.findIndex((a) => (a as { kind: string }).kind === "kubeconfig");
    w.artifacts[i] = { ...(w.artifacts[i] as object), spec: { server } };
    expect(refusal(w)).toBe(`artifacts.${i}.spec.server: ${message}`);
  });

  it("lets kubelet use plain http only to a loopback host (a master's own insecure port)", () => {
    const p = plans(cluster({ halo_profile: "kargo" })).get("m1");
    const k = p?.bundle.artifacts.find((a) => a.kind === "kubeconfig");
    expect(k?.spec).toEqual({ server: "http://localhost:8080" });
    expect(acceptBundle(toWire(p!.bundle, RENDERER_VERSION), all).ok).toBe(true);
  });

  it("refuses raw file content instead of a spec", () => {
    const w = wire();
    const i = nginxAt(w);
    w.artifacts[i] = {
      ...(w.artifacts[i] as object),
      content: "log_format x '$x'; access_log /etc/cron.d/x x;",
    };
    expect(refusal(w)).toBe(`artifacts.${i}: Unrecognized key: "content"`);
  });

  it("refuses a spec that would inject a directive", () => {
    const w = wire();
    const i = nginxAt(w);
    const a = w.artifacts[i] as { spec: { backends: Array<{ address: string }> } };
    a.spec.backends[0] = {
      ...a.spec.backends[0],
      address: "10.0.0.1:443; server 6.6.6.6",
    } as never;
    expect(refusal(w)).toBe(
      `artifacts.${i}.spec.backends.0.address: must be an IP literal in canonical form`,
    );
  });

  it("refuses a sha256 that its own rendering does not match", () => {
    const w = wire();
    const i = nginxAt(w);
    (w.artifacts[i] as { sha256: string }).sha256 = "0".repeat(64);
    expect(refusal(w)).toBe(
      `artifacts.${i}: nginx: this agent's rendering does not match its sha256`,
    );
  });

  it("refuses the same kind twice", () => {
    const w = wire();
    w.artifacts.push(w.artifacts[nginxAt(w)]);
    expect(refusal(w)).toBe(`artifacts.${w.artifacts.length - 1}: kind nginx appears twice`);
  });

  it("refuses a kind it does not know", () => {
    const w = wire();
    w.artifacts.push({ kind: "cron", spec: {}, sha256: "0".repeat(64) });
    expect(refusal(w)).toMatch(new RegExp(`^artifacts\\.${w.artifacts.length - 1}\\.kind: `));
  });

  it("refuses another renderer version, naming both", () => {
    expect(refusal({ ...wire(), renderer: RENDERER_VERSION + 1 })).toBe(
      `renderer version: the bundle needs renderers v${RENDERER_VERSION + 1}, this agent has v${RENDERER_VERSION}`,
    );
  });

  it("refuses a bundle hash that does not cover its artifacts", () => {
    expect(refusal({ ...wire(), hash: "f".repeat(64) })).toBe(
      "hash: the bundle hash does not cover its artifacts",
    );
  });

  it("lists the kinds this node's config does not manage as skipped", () => {
    const r = acceptBundle(wire(), (k) => k !== "nginx");
    expect(r.ok && r.value.skipped).toEqual(["nginx"]);
    expect(r.ok && r.value.bundle.artifacts.map((a) => a.kind)).toEqual([
      "endpoints",
      "etcd-proxy",
      "hosts",
      "kubeconfig",
    ]);
  });
});

describe("the probe targets an agent accepts", () => {
  it("probes only addresses its own bundle names, at most 64", () => {
    const w = wire();
    const t = (address: string) => target("apiserver", address, "m");
    const offered = [
      t("10.0.0.1:443"),
      t("203.0.113.9:22"),
      ...Array.from({ length: 100 }, (_, i) => t(`10.0.0.1:${1000 + i}`)),
    ];
    const taken = allowedTargets(offered, w);
    expect(taken.some((x) => x.address.startsWith("203.0.113.9"))).toBe(false);
    expect(taken[0]?.address).toBe("10.0.0.1:443");
    expect(taken).toHaveLength(64);
    expect(allowedTargets(offered, null)).toEqual([]);
  });
});
