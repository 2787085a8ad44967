import * as S from "../shared/api-schemas.ts";
import { existsSync, readFileSync, statSync } from "node:fs";
import { printable } from "../shared/text.ts";
import { readInventoryDir } from "../shared/topology/inventory-dir.ts";
import { client, CliError, EXIT } from "./client.ts";
import { clusterOf, confirm, type Flags, type Out, type Plan } from "./common.ts";
import { readDir } from "./inventory-dir.ts";

const TYPES: Record<string, string> = {
  ini: "text/plain",
  yaml: "application/yaml",
  yml: "application/yaml",
  json: "application/json",
};

function describePlan(plan: Plan, connected: Set<string>, out: Out): void {
  if (plan.retried)
    out(`version ${plan.version} again: the fleet is not on it, so it is rolled out again`);
  if (plan.changed.length > 0) out(`${plan.changed.length} host(s) change:`);
  for (const p of plan.preview ?? []) {
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
  describeCertificates(plan.tls, out);
  describePending(plan.pending ?? [], out);
}

/** Hosts the plan leaves out until an address is known: Kubespray inventories without ip. */
function describePending(pending: NonNullable<Plan["pending"]>, out: Out): void {
  if (pending.length === 0) return;
  const unaddressed = pending.filter((p) => p.reason === "address").map((p) => p.host);
  if (unaddressed.length > 0)
    out(
      printable(
        `${unaddressed.length} host(s) pending address: ${unaddressed.join(", ")}; left out of other nodes' upstreams, etcd endpoints and certificate SANs until their agents join`,
      ),
    );
  for (const p of pending.filter((g) => g.reason !== "address"))
    out(printable(`  ${p.host}: ${p.detail}`));
}

/** What the change was checked against: the masters' observed certificates. */
function describeCertificates(tls: Plan["tls"], out: Out): void {
  if (!tls) return;
  for (const u of tls.uncovered)
    out(
      printable(
        `  FORCED ${u.node}: ${u.name} is not covered by the certificate of ${u.masters.join(", ")}`,
      ),
    );
  if (tls.unobserved.length > 0)
    out(
      printable(
        `certificates not checked for ${tls.unobserved.join(", ")}: no agent has reported what they serve yet`,
      ),
    );
}

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
  const q = `?dryRun=true${f.prune ? "&prune=true" : ""}${f.force ? "&force=true" : ""}`;
  const p = await api.call(
    S.PutTopologyResponse,
    "PUT",
    `/v1/clusters/${cluster}/topology${q}`,
    body,
    type,
  );
  if (f.json) return (out(JSON.stringify(p)), EXIT.ok);
  if (p.profile) out(`profile ${p.profile.name}: ${p.profile.reason}`);
  let connected = new Set<string>();
  if (p.removed.length > 0) {
    const { nodes } = await api.call(S.NodeList, "GET", `/v1/clusters/${cluster}/nodes`);
    connected = new Set(nodes.filter((n) => n.connected).map((n) => n.host));
  }
  if (p.changed.length === 0 && p.removed.length === 0 && !p.retried) {
    out("no host changes");
    describePending(p.pending ?? [], out);
  } else describePlan(p, connected, out);
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
  const query = [f.prune ? "prune=true" : "", f.force ? "force=true" : ""].filter(Boolean);
  const path = `/v1/clusters/${cluster}/topology${query.length > 0 ? `?${query.join("&")}` : ""}`;
  const plan = await api.call(
    S.PutTopologyResponse,
    "PUT",
    `${path}${query.length > 0 ? "&" : "?"}dryRun=true`,
    body,
    type,
  );
  // Hosts pending an address change no bundle yet, but the topology that declares them must
  // be stored for their agents to join.
  const pending = plan.pending ?? [];
  if (
    plan.changed.length === 0 &&
    plan.removed.length === 0 &&
    !plan.retried &&
    pending.length === 0
  ) {
    out(
      f.json
        ? JSON.stringify({ version: plan.version, changed: [], removed: [] })
        : "no host changes",
    );
    return EXIT.ok;
  }
  let connected = new Set<string>();
  if (plan.removed.length > 0) {
    const { nodes } = await api.call(S.NodeList, "GET", `/v1/clusters/${cluster}/nodes`);
    connected = new Set(nodes.filter((n) => n.connected).map((n) => n.host));
  }
  if (!f.json) describePlan(plan, connected, out);
  const live = plan.removed.filter((h) => connected.has(h));
  const question =
    live.length > 0
      ? `remove ${live.join(", ")}, whose agents are connected, and apply?`
      : "apply?";
  if (!f.yes && !(await confirm(question))) return (out("not applied"), EXIT.declined);
  const r = await api.call(S.PutTopologyResponse, "PUT", path, body, type);
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
