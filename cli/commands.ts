import { readFileSync } from "node:fs";
import * as S from "../shared/api-schemas.ts";
import { printable } from "../shared/text.ts";
import { client, CliError, EXIT } from "./client.ts";
import { clusterOf, confirm, printList, type Flags, type Out, type SubCommand } from "./common.ts";
import { saveConfig } from "./config.ts";
import { table } from "./format.ts";

export type { Flags };

export async function login(f: Flags, out: Out): Promise<number> {
  if (f.tokenFile !== undefined) {
    // From a file or stdin (`-`): a token in argv is visible to every user in ps.
    try {
      f.token = readFileSync(f.tokenFile === "-" ? 0 : f.tokenFile, "utf8").trim() || undefined;
    } catch {
      throw new CliError(`--token-file ${f.tokenFile}: cannot read a token from it`, EXIT.usage);
    }
    if (!f.token) throw new CliError(`--token-file ${f.tokenFile}: it holds no token`, EXIT.usage);
  }
  if (!f.server || !f.token)
    throw new CliError(
      "login needs --server URL and --token-file FILE|- (or --token T)",
      EXIT.usage,
    );
  await client(f).call(S.ClusterList, "GET", "/v1/clusters");
  saveConfig({ server: f.server, token: f.token, cluster: f.cluster });
  out(`logged in to ${f.server}`);
  return EXIT.ok;
}

export const clusterCmd: SubCommand = async (sub, name, f, out) => {
  const api = client(f);
  if (sub === "create") {
    if (!name) throw new CliError("cluster create needs a NAME", EXIT.usage);
    const s = await api.call(S.ClusterSummary, "POST", "/v1/clusters", { name });
    out(f.json ? JSON.stringify(s) : `created cluster ${s.name}`);
    return EXIT.ok;
  }
  if (sub === "list") {
    const { clusters } = await api.call(S.ClusterList, "GET", "/v1/clusters");
    printList(
      f,
      out,
      clusters,
      ["CLUSTER", "VERSION", "STABLE", "HOSTS", "CONNECTED", "APPLIED", "FAILED", "ROLLOUT"],
      (c) => [
        c.name,
        String(c.version),
        String(c.stableVersion),
        String(c.nodes.hosts),
        String(c.nodes.connected),
        String(c.nodes.applied),
        String(c.nodes.failed),
        c.rollout ? `#${c.rollout.id} ${c.rollout.state}` : "-",
      ],
    );
    return EXIT.ok;
  }
  if (sub === "rm") {
    if (!name) throw new CliError("cluster rm needs a NAME", EXIT.usage);
    if (!f.yes && !(await confirm(`delete cluster ${name}, its versions, nodes and tokens?`)))
      return (out("not deleted"), EXIT.declined);
    await api.call(S.NoContent, "DELETE", `/v1/clusters/${name}`);
    out(`deleted cluster ${name}`);
    return EXIT.ok;
  }
  throw new CliError("usage: halo cluster create NAME | list | rm NAME", EXIT.usage);
};

export async function status(f: Flags, out: Out): Promise<number> {
  const { nodes, pending } = await client(f).call(
    S.NodeList,
    "GET",
    `/v1/clusters/${clusterOf(f)}/nodes`,
  );
  printList(
    f,
    out,
    nodes,
    ["HOST", "GROUPS", "DESIRED", "APPLIED", "STATUS", "CONNECTED", "APISERVER", "LAST ERROR"],
    (n) => [
      n.host,
      n.groups.join(","),
      `v${n.desired.version}`,
      n.applied ? `v${n.applied.version}` : "-",
      n.status +
        (n.drift.length > 0 ? ` (drift: ${n.drift.join(",")})` : "") +
        (n.ejected.length > 0 ? ` (ejected: ${n.ejected.map((e) => e.master).join(",")})` : "") +
        (n.drain ? ` (${n.drain.state})` : "") +
        (n.tls.covered === false
          ? ` (TLS: ${n.tls.missing.map((m) => `${m.master} lacks ${m.name}`).join(", ")})`
          : "") +
        (n.tls.caMismatch ? " (TLS: CA mismatch)" : "") +
        (n.tls.expiry === "alert"
          ? ` (ALERT: certificate expires in ${n.tls.expiresInDays} day(s))`
          : ""),
      n.connected ? "yes" : "no",
      `${n.apiserver.url} ${n.apiserver.ok === null ? "?" : n.apiserver.ok ? `ok ${n.apiserver.ms ?? 0}ms` : "FAILING"}`,
      n.lastError ?? "",
    ],
  );
  if (!f.json) for (const p of pending) out(printable(`${p.host}: ${p.detail}`));
  return nodes.some((n) => n.status === "failed") ? EXIT.error : EXIT.ok;
}

export const tokenCmd: SubCommand = async (sub, id, f, out) => {
  const api = client(f);
  const base = `/v1/clusters/${clusterOf(f)}/join-tokens`;
  if (sub === "create") {
    const body: Record<string, unknown> = {};
    if (f.groups) body.groups = f.groups.split(",");
    if (f.hosts) body.hosts = f.hosts.split(",");
    if (f.ttl) {
      if (!/^\d+$/.test(f.ttl)) throw new CliError("--ttl takes a number of seconds", EXIT.usage);
      body.ttlSeconds = Number(f.ttl);
    }
    if (f.maxUses) {
      if (!/^\d+$/.test(f.maxUses)) throw new CliError("--max-uses takes a number", EXIT.usage);
      body.maxUses = Number(f.maxUses);
    }
    const r = await api.call(S.JoinTokenResponse, "POST", base, body);
    out(f.json ? JSON.stringify(r) : r.token);
    return EXIT.ok;
  }
  if (sub === "list") {
    const { tokens } = await api.call(S.JoinTokenList, "GET", base);
    printList(f, out, tokens, ["ID", "GROUPS", "HOSTS", "USES", "EXPIRES", "STATE"], (t) => [
      t.id,
      t.groups.join(","),
      t.hosts.join(",") || "-",
      `${t.uses}/${t.maxUses ?? "-"}`,
      t.expiresAt,
      t.expired ? "expired" : "valid",
    ]);
    return EXIT.ok;
  }
  if (sub === "revoke") {
    if (!id || !/^[0-9a-f]{16}$/.test(id))
      throw new CliError("usage: halo token revoke ID (from `halo token list`)", EXIT.usage);
    await api.call(S.NoContent, "DELETE", `${base}/${id}`);
    out(`revoked join token ${id}`);
    return EXIT.ok;
  }
  throw new CliError("usage: halo token create|list|revoke", EXIT.usage);
};

/** halo host list | halo host rm NAME: the cluster's hosts, declared or registered. */
export const hostCmd: SubCommand = async (sub, name, f, out) => {
  const api = client(f);
  const base = `/v1/clusters/${clusterOf(f)}`;
  if (sub === "list") {
    const t = await api.call(S.TopologyResponse, "GET", `${base}/topology`);
    const { nodes } = await api.call(S.NodeList, "GET", `${base}/nodes`);
    const rows = Object.entries(t.topology?.hosts ?? {}).map(([h, e]) => {
      const n = nodes.find((x) => x.host === h);
      return [
        h,
        e.access_ip ?? e.ip ?? "-",
        t.registered.includes(h) ? "registered" : "declared",
        n?.groups.join(",") ?? "",
        n?.connected ? "yes" : "no",
      ];
    });
    if (f.json)
      out(
        JSON.stringify(
          rows.map(([host, address, origin, groups, connected]) => ({
            host,
            address,
            origin,
            groups,
            connected: connected === "yes",
          })),
        ),
      );
    else out(table(["HOST", "ADDRESS", "ORIGIN", "GROUPS", "CONNECTED"], rows));
    return EXIT.ok;
  }
  if (sub === "rm") {
    if (!name) throw new CliError("host rm needs a NAME", EXIT.usage);
    if (!f.yes && !(await confirm(`remove ${name}? its agent loses its credential`)))
      return (out("not removed"), EXIT.declined);
    const r = await api.call(
      S.PutTopologyResponse,
      "DELETE",
      `${base}/hosts/${encodeURIComponent(name)}`,
    );
    out(f.json ? JSON.stringify(r) : `removed ${name} as version ${r.version}`);
    return EXIT.ok;
  }
  throw new CliError("usage: halo host list | halo host rm NAME", EXIT.usage);
};

/** halo audit [--limit N]: who changed what, newest first. */
export async function auditCmd(f: Flags, out: Out): Promise<number> {
  const limit = f.limit ?? "20";
  if (!/^\d+$/.test(limit)) throw new CliError("--limit takes a number", EXIT.usage);
  const { entries } = await client(f).call(
    S.AuditList,
    "GET",
    `/v1/clusters/${clusterOf(f)}/audit?limit=${limit}`,
  );
  printList(f, out, entries, ["ID", "AT", "ACTOR", "ACTION", "DETAIL"], (e) => [
    String(e.id),
    e.at,
    e.actor,
    e.action,
    JSON.stringify(e.detail).slice(0, 120),
  ]);
  return EXIT.ok;
}

/** halo describe node HOST: everything halo knows about one node, in one place. */
