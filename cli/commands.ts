import { existsSync, readFileSync, statSync } from "node:fs";
import { readInventoryDir } from "../shared/topology/inventory-dir.ts";
import { followEvents } from "./events.ts";
import { readDir } from "./inventory-dir.ts";
import { createInterface } from "node:readline/promises";
import { client, CliError, EXIT, type Client } from "./client.ts";
import { loadConfig, saveConfig } from "./config.ts";
import { printable } from "../shared/text.ts";
import { bar, table } from "./format.ts";

export interface Flags {
  server?: string;
  token?: string;
  cluster?: string;
  file?: string;
  yes: boolean;
  json: boolean;
  groups?: string;
  hosts?: string;
  drift?: string;
  probeInterval?: string;
  limit?: string;
  prune: boolean;
  ttl?: string;
  maxUses?: string;
  interval?: string;
}

type Out = (s: string) => void;

function clusterOf(f: Flags): string {
  const c = f.cluster || process.env.HALO_CLUSTER || loadConfig().cluster;
  if (!c)
    throw new CliError(
      "no cluster: pass --cluster NAME (or set one with `halo login --cluster`)",
      EXIT.usage,
    );
  return c;
}

export async function login(f: Flags, out: Out): Promise<number> {
  if (!f.server || !f.token)
    throw new CliError("login needs --server URL and --token T", EXIT.usage);
  await client(f).call("GET", "/v1/clusters");
  saveConfig({ server: f.server, token: f.token, cluster: f.cluster });
  out(`logged in to ${f.server}`);
  return EXIT.ok;
}

interface Summary {
  name: string;
  version: number;
  stableVersion: number;
  nodes: { hosts: number; registered: number; connected: number; applied: number; failed: number };
  rollout: { id: number; state: string; wave: number; waveCount: number } | null;
}

export async function clusterCmd(
  sub: string | undefined,
  name: string | undefined,
  f: Flags,
  out: Out,
): Promise<number> {
  const api = client(f);
  if (sub === "create") {
    if (!name) throw new CliError("cluster create needs a NAME", EXIT.usage);
    const s = await api.call<Summary>("POST", "/v1/clusters", { name });
    out(f.json ? JSON.stringify(s) : `created cluster ${s.name}`);
    return EXIT.ok;
  }
  if (sub === "list") {
    const { clusters } = await api.call<{ clusters: Summary[] }>("GET", "/v1/clusters");
    if (f.json) out(JSON.stringify(clusters));
    else
      out(
        table(
          ["CLUSTER", "VERSION", "STABLE", "HOSTS", "CONNECTED", "APPLIED", "FAILED", "ROLLOUT"],
          clusters.map((c) => [
            c.name,
            String(c.version),
            String(c.stableVersion),
            String(c.nodes.hosts),
            String(c.nodes.connected),
            String(c.nodes.applied),
            String(c.nodes.failed),
            c.rollout ? `#${c.rollout.id} ${c.rollout.state}` : "-",
          ]),
        ),
      );
    return EXIT.ok;
  }
  if (sub === "rm") {
    if (!name) throw new CliError("cluster rm needs a NAME", EXIT.usage);
    if (!f.yes && !(await confirm(`delete cluster ${name}, its versions, nodes and tokens?`)))
      return (out("not deleted"), EXIT.declined);
    await api.call("DELETE", `/v1/clusters/${name}`);
    out(`deleted cluster ${name}`);
    return EXIT.ok;
  }
  throw new CliError("usage: halo cluster create NAME | list | rm NAME", EXIT.usage);
}

const TYPES: Record<string, string> = {
  ini: "text/plain",
  yaml: "application/yaml",
  yml: "application/yaml",
  json: "application/json",
};

interface Plan {
  version: number;
  changed: string[];
  removed: string[];
  retried?: boolean;
  profile?: { name: string; reason: string };
  preview: Array<{
    host: string;
    kinds: string[];
    retired: string[];
    apiserver: { before: string | null; after: string | null };
  }>;
}

/** What a PUT would do, in plain words: changed hosts, removed hosts on their own. */
function describePlan(plan: Plan, connected: Set<string>, out: Out): void {
  if (plan.retried)
    out(`version ${plan.version} again: the fleet is not on it, so it is rolled out again`);
  if (plan.changed.length > 0) out(`${plan.changed.length} host(s) change:`);
  for (const p of plan.preview) {
    const url =
      p.apiserver.before === p.apiserver.after
        ? ""
        : `  apiserver ${p.apiserver.before ?? "-"} -> ${p.apiserver.after ?? "-"}`;
    const gone = p.retired.length > 0 ? `  retires ${p.retired.join(", ")}` : "";
    out(printable(`  ${p.host}: ${p.kinds.join(", ")}${url}${gone}`));
  }
  if (plan.removed.length > 0) {
    out(`${plan.removed.length} host(s) leave the cluster; their agents lose their credentials:`);
    for (const h of plan.removed)
      out(`  - ${h}${connected.has(h) ? " (agent connected now)" : ""}`);
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new CliError("not a terminal: pass --yes to apply without asking", EXIT.declined);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The body to PUT: a file as it is, or an Ansible inventory directory merged into JSON. */
function inventoryBody(file: string): { body: string; type: string } {
  if (existsSync(file) && statSync(file).isDirectory()) {
    const { raw, issues } = readInventoryDir(readDir(file));
    if (issues.length > 0)
      throw new CliError(
        `cannot read the inventory directory ${file}:${issues.map((i) => `\n  ${i.path}: ${i.message}`).join("")}`,
        EXIT.usage,
      );
    return { body: JSON.stringify(raw), type: "application/json" };
  }
  const ext = file.split(".").pop()?.toLowerCase() ?? "";
  const type = TYPES[ext] ?? (ext === "" || ext === "hosts" ? "text/plain" : undefined);
  if (!type)
    throw new CliError(
      `cannot tell the format of ${file}: use .ini, .yaml or .json, or a directory`,
      EXIT.usage,
    );
  return { body: readFileSync(file, "utf8"), type };
}

/** halo plan -f FILE|DIR: the dry run, in plain words, changing nothing. */
export async function plan(f: Flags, out: Out): Promise<number> {
  if (!f.file)
    throw new CliError("plan needs -f FILE or -f DIR (an Ansible inventory)", EXIT.usage);
  const cluster = clusterOf(f);
  const { body, type } = inventoryBody(f.file);
  const api = client(f);
  const q = `?dryRun=true${f.prune ? "&prune=true" : ""}`;
  const p = await api.call<Plan>("PUT", `/v1/clusters/${cluster}/topology${q}`, body, type);
  if (f.json) return (out(JSON.stringify(p)), EXIT.ok);
  if (p.profile) out(`profile ${p.profile.name}: ${p.profile.reason}`);
  let connected = new Set<string>();
  if (p.removed.length > 0) {
    const { nodes } = await api.call<{ nodes: NodeRow[] }>("GET", `/v1/clusters/${cluster}/nodes`);
    connected = new Set(nodes.filter((n) => n.connected).map((n) => n.host));
  }
  if (p.changed.length === 0 && p.removed.length === 0 && !p.retried) out("no host changes");
  else describePlan(p, connected, out);
  return EXIT.ok;
}

export async function apply(f: Flags, out: Out): Promise<number> {
  if (!f.file)
    throw new CliError(
      "apply needs -f FILE or -f DIR (an INI, YAML or JSON inventory)",
      EXIT.usage,
    );
  const cluster = clusterOf(f);
  const { body, type } = inventoryBody(f.file);
  const api = client(f);
  const path = `/v1/clusters/${cluster}/topology${f.prune ? "?prune=true" : ""}`;
  const plan = await api.call<Plan>("PUT", `${path}${f.prune ? "&" : "?"}dryRun=true`, body, type);
  if (plan.changed.length === 0 && plan.removed.length === 0 && !plan.retried) {
    out(
      f.json
        ? JSON.stringify({ version: plan.version, changed: [], removed: [] })
        : "no host changes",
    );
    return EXIT.ok;
  }
  let connected = new Set<string>();
  if (plan.removed.length > 0) {
    const { nodes } = await api.call<{ nodes: NodeRow[] }>("GET", `/v1/clusters/${cluster}/nodes`);
    connected = new Set(nodes.filter((n) => n.connected).map((n) => n.host));
  }
  if (!f.json) describePlan(plan, connected, out);
  const live = plan.removed.filter((h) => connected.has(h));
  const question =
    live.length > 0
      ? `remove ${live.join(", ")}, whose agents are connected, and apply?`
      : "apply?";
  if (!f.yes && !(await confirm(question))) return (out("not applied"), EXIT.declined);
  const r = await api.call<Plan>("PUT", path, body, type);
  out(
    f.json
      ? JSON.stringify(r)
      : r.retried
        ? `rolling version ${r.version} out again to ${r.changed.length} host(s)`
        : `applied as version ${r.version}; rolling out to ${r.changed.length} host(s)` +
          (r.removed.length > 0 ? `; removed ${r.removed.join(", ")}` : ""),
  );
  return EXIT.ok;
}

interface NodeRow {
  host: string;
  groups: string[];
  desired: { version: number; hash: string };
  applied: { version: number; hash: string } | null;
  status: string;
  connected: boolean;
  lastError: string | null;
  apiserver: { url: string; ok: boolean | null; ms: number | null };
  drift: string[];
}

export async function status(f: Flags, out: Out): Promise<number> {
  const { nodes } = await client(f).call<{ nodes: NodeRow[] }>(
    "GET",
    `/v1/clusters/${clusterOf(f)}/nodes`,
  );
  if (f.json) out(JSON.stringify(nodes));
  else
    out(
      table(
        ["HOST", "GROUPS", "DESIRED", "APPLIED", "STATUS", "CONNECTED", "APISERVER", "LAST ERROR"],
        nodes.map((n) => [
          n.host,
          n.groups.join(","),
          `v${n.desired.version}`,
          n.applied ? `v${n.applied.version}` : "-",
          n.status + (n.drift.length > 0 ? ` (drift: ${n.drift.join(",")})` : ""),
          n.connected ? "yes" : "no",
          `${n.apiserver.url} ${n.apiserver.ok === null ? "?" : n.apiserver.ok ? `ok ${n.apiserver.ms ?? 0}ms` : "FAILING"}`,
          n.lastError ?? "",
        ]),
      ),
    );
  return nodes.some((n) => n.status === "failed") ? EXIT.error : EXIT.ok;
}

interface RolloutDetail {
  id: number;
  state: string;
  toVersion: number;
  fromVersion: number;
  wave: number;
  waveCount: number;
  reason: string | null;
  waves: Array<{ name: string; state: string; nodes: Array<{ host: string; status: string }> }>;
}

async function currentRollout(api: Client, cluster: string): Promise<number> {
  const s = await api.call<Summary>("GET", `/v1/clusters/${cluster}`);
  if (!s.rollout) throw new CliError(`cluster ${cluster} has no rollout`, EXIT.error);
  return s.rollout.id;
}

const ENDED: Record<string, number> = {
  completed: EXIT.ok,
  reverted: EXIT.notCompleted,
  aborted: EXIT.notCompleted,
  superseded: EXIT.notCompleted,
};

export async function rolloutCmd(
  sub: string | undefined,
  id: string | undefined,
  f: Flags,
  out: Out,
): Promise<number> {
  const api = client(f);
  const cluster = clusterOf(f);
  const rid = id ?? String(await currentRollout(api, cluster));
  if (sub === "pause" || sub === "resume" || sub === "abort") {
    const r = await api.call<RolloutDetail>(
      "POST",
      `/v1/clusters/${cluster}/rollouts/${rid}/${sub}`,
    );
    out(f.json ? JSON.stringify(r) : `rollout #${r.id} is ${r.state}`);
    return EXIT.ok;
  }
  if (sub === "show" || sub === "watch") {
    let last = "";
    /** Reads the rollout and prints it if it changed; its exit code once it has ended. */
    const step = async (): Promise<number | null> => {
      const r = await api.call<RolloutDetail>("GET", `/v1/clusters/${cluster}/rollouts/${rid}`);
      const ended = r.state in ENDED || (sub === "watch" && r.state === "paused");
      if (f.json) {
        if (sub === "show" || ended) out(JSON.stringify(r));
      } else {
        const text = renderRollout(r);
        if (text !== last) out(text);
        last = text;
      }
      if (sub === "show") return EXIT.ok;
      return ended ? (ENDED[r.state] ?? EXIT.notCompleted) : null;
    };
    const first = await step();
    if (first !== null) return first;
    // Re-read on every rollout or node event (and every few seconds regardless, so a missed
    // event costs seconds, not the watch); poll only when the event stream cannot be had.
    let code: number | null = null;
    let busy = Promise.resolve();
    const control: { stop?: () => void } = {};
    // A failed read (a restart, a dropped connection) is retried by the next event or tick.
    const recheck = () =>
      (busy = busy
        .then(async () => {
          code ??= await step();
          if (code !== null) control.stop?.();
        })
        .catch(() => undefined));
    const timer = setInterval(recheck, 2000);
    try {
      await followEvents(
        api.server,
        api.token,
        cluster,
        (e) => {
          if (e.type === "rollout" || e.type === "node") void recheck();
        },
        control,
      );
      await busy;
      if (code !== null) return code;
    } catch {
      // fall through to polling
    } finally {
      clearInterval(timer);
    }
    const interval = Number(f.interval ?? 500);
    for (;;) {
      const c = await step();
      if (c !== null) return c;
      await new Promise((res) => setTimeout(res, interval));
    }
  }
  throw new CliError("usage: halo rollout watch|show|pause|resume|abort [ID]", EXIT.usage);
}

function renderRollout(r: RolloutDetail): string {
  const lines = [
    `rollout #${r.id} v${r.fromVersion} -> v${r.toVersion}: ${r.state}${r.reason ? ` (${r.reason})` : ""}`,
  ];
  for (const w of r.waves) {
    const applied = w.nodes.filter((n) => n.status === "applied").length;
    const failed = w.nodes.filter((n) => n.status === "failed").map((n) => n.host);
    lines.push(
      `  ${w.name.padEnd(8)} ${bar(applied, w.nodes.length)} ${w.state}${failed.length ? `, failed: ${failed.join(", ")}` : ""}`,
    );
  }
  return lines.join("\n");
}

export async function rollback(version: string | undefined, f: Flags, out: Out): Promise<number> {
  if (!version || !/^\d+$/.test(version))
    throw new CliError("usage: halo rollback VERSION", EXIT.usage);
  const r = await client(f).call<{ version: number; changed: string[] }>(
    "POST",
    `/v1/clusters/${clusterOf(f)}/rollback`,
    { version: Number(version) },
  );
  out(
    f.json
      ? JSON.stringify(r)
      : `rolling back to the topology of version ${version} as version ${r.version} (${r.changed.length} host(s))`,
  );
  return EXIT.ok;
}

export async function tokenCmd(
  sub: string | undefined,
  id: string | undefined,
  f: Flags,
  out: Out,
): Promise<number> {
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
    const r = await api.call<{ token: string; expiresAt: string }>("POST", base, body);
    out(f.json ? JSON.stringify(r) : r.token);
    return EXIT.ok;
  }
  if (sub === "list") {
    type Token = {
      id: string;
      groups: string[];
      hosts: string[];
      expiresAt: string;
      uses: number;
      maxUses: number | null;
      expired: boolean;
    };
    const { tokens } = await api.call<{ tokens: Token[] }>("GET", base);
    if (f.json) out(JSON.stringify(tokens));
    else
      out(
        table(
          ["ID", "GROUPS", "HOSTS", "USES", "EXPIRES", "STATE"],
          tokens.map((t) => [
            t.id,
            t.groups.join(","),
            t.hosts.join(",") || "-",
            `${t.uses}/${t.maxUses ?? "-"}`,
            t.expiresAt,
            t.expired ? "expired" : "valid",
          ]),
        ),
      );
    return EXIT.ok;
  }
  if (sub === "revoke") {
    if (!id || !/^[0-9a-f]{16}$/.test(id))
      throw new CliError("usage: halo token revoke ID (from `halo token list`)", EXIT.usage);
    await api.call("DELETE", `${base}/${id}`);
    out(`revoked join token ${id}`);
    return EXIT.ok;
  }
  throw new CliError("usage: halo token create|list|revoke", EXIT.usage);
}

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

interface Reachability {
  targets: Array<{ id: string; kind: string; host?: string; address: string }>;
  nodes: Array<{ host: string; at: string; results: Record<string, { ok: boolean; ms: number }> }>;
}

/** halo reachability: node x target, as each node last probed it. */
export async function reachabilityCmd(f: Flags, out: Out): Promise<number> {
  const r = await client(f).call<Reachability>("GET", `/v1/clusters/${clusterOf(f)}/reachability`);
  if (f.json) return (out(JSON.stringify(r)), EXIT.ok);
  const tty = process.stdout.isTTY === true;
  const paint = (ok: boolean, s: string) => (tty ? `\u001b[${ok ? 32 : 31}m${s}\u001b[0m` : s);
  const head = r.targets.map((t) => (t.host ? `${t.host} ${t.address}` : t.id));
  const rows = r.nodes.map((n) => [
    n.host,
    ...r.targets.map((t) => {
      const p = n.results[t.id];
      return p === undefined ? "-" : p.ok ? `ok ${p.ms}ms` : "FAIL";
    }),
  ]);
  const text = table(["NODE", ...head], rows);
  // Colour after layout (escape codes have no width); the words carry the meaning either way.
  out(
    tty
      ? text
          .replace(/\bok \d+(\.\d+)?ms\b/g, (m) => paint(true, m))
          .replace(/\bFAIL\b/g, (m) => paint(false, m))
      : text,
  );
  return r.nodes.some((n) => Object.values(n.results).some((p) => !p.ok)) ? EXIT.error : EXIT.ok;
}

/** halo policy get|set: the cluster's rollout policy and its live policy (probes, drift). */
export async function policyCmd(sub: string | undefined, f: Flags, out: Out): Promise<number> {
  const api = client(f);
  const base = `/v1/clusters/${clusterOf(f)}`;
  if (sub === "get") {
    const [rollout, live] = await Promise.all([
      api.call<Record<string, unknown>>("GET", `${base}/rollout-policy`),
      api.call<Record<string, unknown>>("GET", `${base}/live-policy`),
    ]);
    out(
      f.json
        ? JSON.stringify({ rollout, live })
        : `rollout: ${JSON.stringify(rollout)}\nlive:    ${JSON.stringify(live)}`,
    );
    return EXIT.ok;
  }
  if (sub === "set") {
    const live = await api.call<{ probeIntervalSeconds: number; driftPolicy: string }>(
      "GET",
      `${base}/live-policy`,
    );
    if (f.drift !== undefined && f.drift !== "heal" && f.drift !== "report")
      throw new CliError("--drift takes heal or report", EXIT.usage);
    if (f.probeInterval !== undefined && !/^\d+$/.test(f.probeInterval))
      throw new CliError("--probe-interval takes whole seconds (2-300)", EXIT.usage);
    const next = {
      probeIntervalSeconds:
        f.probeInterval !== undefined ? Number(f.probeInterval) : live.probeIntervalSeconds,
      driftPolicy: f.drift ?? live.driftPolicy,
    };
    const r = await api.call("PUT", `${base}/live-policy`, next);
    out(f.json ? JSON.stringify(r) : `live: ${JSON.stringify(r)}`);
    return EXIT.ok;
  }
  throw new CliError(
    "usage: halo policy get | halo policy set [--drift heal|report] [--probe-interval S]",
    EXIT.usage,
  );
}

/** halo host list | halo host rm NAME: the cluster's hosts, declared or registered. */
export async function hostCmd(
  sub: string | undefined,
  name: string | undefined,
  f: Flags,
  out: Out,
): Promise<number> {
  const api = client(f);
  const base = `/v1/clusters/${clusterOf(f)}`;
  if (sub === "list") {
    const t = await api.call<{
      topology: { hosts: Record<string, { ip?: string; access_ip?: string }> } | null;
      registered: string[];
    }>("GET", `${base}/topology`);
    const { nodes } = await api.call<{ nodes: NodeRow[] }>("GET", `${base}/nodes`);
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
    const r = await api.call<Plan>("DELETE", `${base}/hosts/${encodeURIComponent(name)}`);
    out(f.json ? JSON.stringify(r) : `removed ${name} as version ${r.version}`);
    return EXIT.ok;
  }
  throw new CliError("usage: halo host list | halo host rm NAME", EXIT.usage);
}

/** halo audit [--limit N]: who changed what, newest first. */
export async function auditCmd(f: Flags, out: Out): Promise<number> {
  const limit = f.limit ?? "20";
  if (!/^\d+$/.test(limit)) throw new CliError("--limit takes a number", EXIT.usage);
  const { entries } = await client(f).call<{
    entries: Array<{ id: number; at: string; actor: string; action: string; detail: unknown }>;
  }>("GET", `/v1/clusters/${clusterOf(f)}/audit?limit=${limit}`);
  if (f.json) out(JSON.stringify(entries));
  else
    out(
      table(
        ["ID", "AT", "ACTOR", "ACTION", "DETAIL"],
        entries.map((e) => [
          String(e.id),
          e.at,
          e.actor,
          e.action,
          JSON.stringify(e.detail).slice(0, 120),
        ]),
      ),
    );
  return EXIT.ok;
}

/** halo describe node HOST: everything halo knows about one node, in one place. */
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
    api.call<{ nodes: Array<NodeRow & Record<string, unknown>> }>("GET", `${base}/nodes`),
    api.call<{
      apiserver: { url: string; via: string };
      etcd: { endpoints: string[]; flannel: string; via: string };
      certSANs?: string[];
    }>("GET", `${base}/nodes/${h}/endpoints`),
    api.call<{ version: number; hash: string; artifacts: Array<{ kind: string; sha256: string }> }>(
      "GET",
      `${base}/nodes/${h}/config`,
    ),
    api.call<Reachability>("GET", `${base}/reachability`),
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
    `kinds:      ${config.artifacts.map((a) => `${a.kind} ${a.sha256.slice(0, 12)}`).join(", ")}`,
    `drift:      ${node?.drift.length ? node.drift.join(", ") : "none"}`,
    `last error: ${node?.lastError ?? "-"}`,
    "probes:",
    ...Object.entries(probes?.results ?? {}).map(
      ([id, p]) => `  ${id.padEnd(32)} ${p.ok ? `ok ${p.ms}ms` : "FAIL"}`,
    ),
  ];
  out(lines.map(printable).join("\n"));
  return EXIT.ok;
}
