import * as S from "../shared/api-schemas.ts";
import { printable } from "../shared/text.ts";
import { client, CliError, EXIT } from "./client.ts";
import { clusterOf, type Flags, type Out } from "./common.ts";
import { followEvents } from "./events.ts";
import { table } from "./format.ts";

/** halo watch: the cluster's event stream, one line per event (JSON with --json). */
export async function watchCmd(f: Flags, out: Out): Promise<number> {
  const api = client(f);
  const cluster = clusterOf(f);
  await followEvents(api.server, api.token, cluster, (e) => {
    if (f.json) return void out(JSON.stringify(e));
    const { type, at, host, ...rest } = e;
    out(printable(`${at} ${type}${host ? ` ${String(host)}` : ""} ${JSON.stringify(rest)}`));
  });
  return EXIT.ok;
}

/** halo reachability: node x target, as each node last probed it. */
export async function reachabilityCmd(f: Flags, out: Out): Promise<number> {
  const r = await client(f).call(
    S.ReachabilityResponse,
    "GET",
    `/v1/clusters/${clusterOf(f)}/reachability`,
  );
  if (f.json) return (out(JSON.stringify(r)), EXIT.ok);
  const tty = process.stdout.isTTY === true;
  const paint = (ok: boolean, s: string) => (tty ? `\u001b[${ok ? 32 : 31}m${s}\u001b[0m` : s);
  const head = r.targets.map((t) => (t.host ? `${t.host} ${t.address}` : t.id));
  const rows = r.nodes.map((n) => [
    n.host,
    ...r.targets.map((t) => {
      const p = n.results[t.id];
      return cell(p);
    }),
  ]);
  const text = table(["NODE", ...head], rows);
  // Colour after layout (escape codes have no width); the words carry the meaning either way.
  out(
    tty
      ? text
          .replace(/\bok\?? \d+(\.\d+)?ms\b/g, (m) => paint(true, m))
          .replace(/\bFAIL( \d{3})?/g, (m) => paint(false, m))
      : text,
  );
  return r.nodes.some((n) => Object.values(n.results).some((p) => !p.ok)) ? EXIT.error : EXIT.ok;
}

/**
 * One probe as a cell: `ok 3ms` (an apiserver with anonymous auth off: `ok? 3ms`, alive,
 * readiness unknown), `FAIL` (with `/readyz`'s status when it answered: `FAIL 500`), `-`.
 */
function cell(p: { ok: boolean; ms: number; status?: number; readiness?: string } | undefined) {
  if (p === undefined) return "-";
  if (p.ok) return `${p.readiness === "unknown" ? "ok?" : "ok"} ${p.ms}ms`;
  return p.status === undefined ? "FAIL" : `FAIL ${p.status}`;
}

/** halo policy get|set: the cluster's rollout policy and its live policy (probes, drift). */
export async function policyCmd(sub: string | undefined, f: Flags, out: Out): Promise<number> {
  const api = client(f);
  const base = `/v1/clusters/${clusterOf(f)}`;
  if (sub === "get") {
    const [rollout, live] = await Promise.all([
      api.call(S.RolloutPolicySchema, "GET", `${base}/rollout-policy`),
      api.call(S.LivePolicySchema, "GET", `${base}/live-policy`),
    ]);
    out(
      f.json
        ? JSON.stringify({ rollout, live })
        : `rollout: ${JSON.stringify(rollout)}\nlive:    ${JSON.stringify(live)}`,
    );
    return EXIT.ok;
  }
  if (sub === "set") {
    const live = await api.call(S.LivePolicySchema, "GET", `${base}/live-policy`);
    if (f.drift !== undefined && f.drift !== "heal" && f.drift !== "report")
      throw new CliError("--drift takes heal or report", EXIT.usage);
    if (f.probeInterval !== undefined && !/^\d+$/.test(f.probeInterval))
      throw new CliError("--probe-interval takes whole seconds (2-300)", EXIT.usage);
    if (f.checkInterval !== undefined && !/^\d+$/.test(f.checkInterval))
      throw new CliError("--check-interval takes whole seconds (1-60)", EXIT.usage);
    if (f.certWarningDays !== undefined && !/^\d+$/.test(f.certWarningDays))
      throw new CliError("--cert-warning-days takes whole days (8-365)", EXIT.usage);
    const next = {
      probeIntervalSeconds:
        f.probeInterval !== undefined ? Number(f.probeInterval) : live.probeIntervalSeconds,
      driftPolicy: f.drift ?? live.driftPolicy,
      checkIntervalSeconds:
        f.checkInterval !== undefined ? Number(f.checkInterval) : live.checkIntervalSeconds,
      certWarningDays:
        f.certWarningDays !== undefined ? Number(f.certWarningDays) : live.certWarningDays,
    };
    const r = await api.call(S.LivePolicySchema, "PUT", `${base}/live-policy`, next);
    out(f.json ? JSON.stringify(r) : `live: ${JSON.stringify(r)}`);
    return EXIT.ok;
  }
  throw new CliError(
    "usage: halo policy get | halo policy set [--drift heal|report] [--probe-interval S] [--check-interval S] [--cert-warning-days D]",
    EXIT.usage,
  );
}

/** A node's TLS standing in words: coverage of its apiserver URL's host, CAs, expiry. */
export function tlsWords(t: S.NodeStatus["tls"]): string {
  if (t.covered === null) return "no master certificate observed yet";
  const parts = [
    t.covered
      ? "covered"
      : `NOT COVERED: ${t.missing.map((m) => `${m.master} lacks ${m.name}`).join(", ")}`,
  ];
  if (t.caMismatch) parts.push("CA MISMATCH: the masters chain to different CAs");
  if (t.expiresInDays !== null)
    parts.push(
      `${t.expiry === "alert" ? "ALERT: " : t.expiry === "warning" ? "warning: " : ""}expires in ${t.expiresInDays} day(s)`,
    );
  return parts.join("; ");
}

/** halo describe node HOST: groups, endpoints, kinds and hashes, desired vs applied, probes. */
export async function describeCmd(
  what: string | undefined,
  host: string | undefined,
  f: Flags,
  out: Out,
): Promise<number> {
  if (what !== "node" || !host) throw new CliError("usage: halo describe node HOST", EXIT.usage);
  const api = client(f);
  const base = `/v1/clusters/${clusterOf(f)}`;
  const h = encodeURIComponent(host);
  const [{ nodes }, endpoints, config, reach] = await Promise.all([
    api.call(S.NodeList, "GET", `${base}/nodes`),
    api.call(S.EndpointsResponse, "GET", `${base}/nodes/${h}/endpoints`),
    api.call(S.BundleSchema, "GET", `${base}/nodes/${h}/config`),
    api.call(S.ReachabilityResponse, "GET", `${base}/reachability`),
  ]);
  const node = nodes.find((n) => n.host === host);
  const probes = reach.nodes.find((n) => n.host === host);
  if (f.json)
    return (out(JSON.stringify({ node, endpoints, config, probes: probes ?? null })), EXIT.ok);
  const lines = [
    `host:       ${host}`,
    `groups:     ${node?.groups.join(", ") ?? "-"}`,
    `status:     ${node?.status ?? "-"}${node?.connected ? " (connected)" : ""}; desired v${config.version}, applied ${node?.applied ? `v${node.applied.version}` : "-"}`,
    `apiserver:  ${endpoints.apiserver.url} (${endpoints.apiserver.via})` +
      (node?.apiserver.ok === null || node === undefined
        ? ""
        : node.apiserver.ok
          ? `, ok ${node.apiserver.ms}ms`
          : ", FAILING"),
    `etcd:       ${endpoints.etcd.endpoints.join(", ")} (${endpoints.etcd.via}; flannel ${endpoints.etcd.flannel})`,
    ...(endpoints.certSANs ? [`cert SANs:  ${endpoints.certSANs.join(", ")}`] : []),
    `tls:        ${node ? tlsWords(node.tls) : "-"}`,
    `kinds:      ${config.artifacts.map((a) => `${a.kind} ${a.sha256.slice(0, 12)}`).join(", ")}`,
    `drift:      ${node?.drift.length ? node.drift.join(", ") : "none"}`,
    `last error: ${node?.lastError ?? "-"}`,
    "probes:",
    ...Object.entries(probes?.results ?? {}).map(
      ([id, p]) => `  ${id.padEnd(32)} ${cell(p)}${p.error ? `  ${p.error}` : ""}`,
    ),
  ];
  out(lines.map(printable).join("\n"));
  return EXIT.ok;
}
