// The nodes table: desired/applied, status, drift, connection, the node's own apiserver path,
// the last error (as text); filter and sort; a node's detail shows its endpoints and files.
import { ago, api, cluster, el, get, mark } from "./api.js";

const STATUS = {
  applied: "ok",
  failed: "bad",
  pending: "warn",
  registered: "warn",
  unregistered: "unknown",
};
const COLUMNS = [
  ["host", "Host", (n) => n.host],
  ["status", "Status", (n) => n.status],
  ["version", "Desired / applied", (n) => n.desired?.version ?? -1],
  ["drift", "Drift", (n) => (n.drift ?? []).length],
  ["connected", "Connected", (n) => (n.connected ? 1 : 0)],
  ["lastSeen", "Last seen", (n) => n.lastSeen ?? ""],
  ["agent", "Agent", (n) => n.agentVersion ?? ""],
  ["apiserver", "Apiserver path", (n) => n.apiserver?.ms ?? Infinity],
  ["error", "Last error", (n) => n.lastError ?? ""],
];
const view = { filter: "", sort: "host", desc: false, open: new Set() };

/**
 * A master's Drain (or Undrain) button, behind a confirmation: draining moves every node's LB
 * off the master within seconds; its open connections close by the end of the grace.
 */
function drainButton(name, n, refresh, alert) {
  if (!n.groups.includes("kube-master")) return null;
  const draining = n.drain !== null && n.drain !== undefined;
  const b = el(
    "button",
    { type: "button", class: draining ? "" : "danger", "data-drain": n.host },
    draining ? "Undrain" : "Drain",
  );
  b.addEventListener("click", async () => {
    const ask = draining
      ? `Send connections to ${n.host} again?`
      : `Drain ${n.host}? No node's load balancer will send it new connections, and its open ones close within 30 s.`;
    if (!confirm(ask)) return;
    b.disabled = true;
    try {
      const path = `${cluster(name)}/hosts/${encodeURIComponent(n.host)}/drain`;
      await api(
        draining ? "DELETE" : "POST",
        path,
        draining ? {} : { body: "{}", type: "application/json" },
      );
      await refresh?.();
    } catch (e) {
      alert.textContent = `${b.textContent} ${n.host}: ${e.message}`;
      b.disabled = false;
    }
  });
  return b;
}

/** A node's TLS standing: names its masters' certificates lack, mixed CAs, an expiry soon. */
function tlsMarks(t) {
  if (!t) return null;
  const out = [];
  if (t.covered === false)
    out.push(
      " ",
      mark("bad", `TLS: ${t.missing.map((m) => `${m.master} lacks ${m.name}`).join(", ")}`),
    );
  if (t.caMismatch) out.push(" ", mark("bad", "TLS: masters from different CAs"));
  if (t.expiry)
    out.push(
      " ",
      mark(
        t.expiry === "alert" ? "bad" : "warn",
        `certificate expires in ${t.expiresInDays} day(s)`,
      ),
    );
  return out.length > 0 ? out : null;
}

function cells(n, extra) {
  const a = n.apiserver;
  return [
    el(
      "td",
      {},
      el("strong", {}, n.host),
      n.vipHeld === true ? [" ", mark("ok", "holds the VIP")] : null,
      el("div", { class: "dim" }, n.groups.join(", ")),
    ),
    el(
      "td",
      {},
      mark(STATUS[n.status] ?? "unknown", n.status),
      n.drain ? [" ", mark("warn", n.drain.state)] : null,
      (n.ejected ?? []).length > 0
        ? [" ", mark("warn", `took ${n.ejected.map((e) => e.master).join(", ")} out of its LB`)]
        : null,
      tlsMarks(n.tls),
      extra ? [" ", extra] : null,
    ),
    el("td", {}, `v${n.desired?.version ?? "-"} / ${n.applied ? `v${n.applied.version}` : "-"}`),
    el(
      "td",
      {},
      (n.drift ?? []).length > 0
        ? mark("bad", `drifted: ${n.drift.join(", ")}`)
        : mark("ok", "none"),
    ),
    el("td", {}, n.connected ? mark("ok", "yes") : mark("unknown", "no")),
    el("td", {}, ago(n.lastSeen)),
    el("td", {}, n.agentVersion ?? "-"),
    el(
      "td",
      { class: "mono" },
      a?.url ?? "-",
      " ",
      a?.ok === true
        ? mark("ok", `${a.ms} ms`)
        : a?.ok === false
          ? mark("bad", "failing")
          : mark("unknown", "not probed"),
    ),
    el("td", { class: "mono" }, n.lastError ?? ""),
  ];
}

async function detail(name, host) {
  const base = `${cluster(name)}/nodes/${encodeURIComponent(host)}`;
  const [ep, config] = await Promise.all([get(`${base}/endpoints`), get(`${base}/config`)]);
  return el(
    "div",
    {},
    el("h3", {}, `${host}: endpoints`),
    el("pre", {}, JSON.stringify(ep, null, 2)),
    el("h3", {}, `${host}: rendered files (version ${config.version})`),
    ...config.artifacts.map((a) =>
      el(
        "details",
        {},
        el("summary", {}, `${a.kind} (sha256 ${a.sha256.slice(0, 12)})`),
        el("pre", {}, a.content),
      ),
    ),
  );
}

export function renderNodes(box, name, nodes, refresh) {
  const alert = el("p", { role: "alert", class: "alert" });
  const draw = () => {
    const f = view.filter.toLowerCase();
    const col = COLUMNS.find((c) => c[0] === view.sort) ?? COLUMNS[0];
    const shown = nodes
      .filter(
        (n) =>
          !f ||
          [n.host, n.status, n.groups.join(" "), n.lastError ?? "", n.apiserver?.url ?? ""]
            .join(" ")
            .toLowerCase()
            .includes(f),
      )
      .sort((a, b) => {
        const [x, y] = [col[2](a), col[2](b)];
        return (x < y ? -1 : x > y ? 1 : 0) * (view.desc ? -1 : 1);
      });
    const rows = [];
    for (const n of shown) {
      const open = view.open.has(n.host);
      const toggle = el(
        "button",
        { type: "button", "aria-expanded": String(open), "aria-label": `Details of ${n.host}` },
        open ? "Hide" : "Details",
      );
      toggle.addEventListener("click", () => {
        if (open) view.open.delete(n.host);
        else view.open.add(n.host);
        draw();
      });
      rows.push(
        el(
          "tr",
          { "data-host": n.host },
          ...cells(n, drainButton(name, n, refresh, alert)),
          el("td", {}, toggle),
        ),
      );
      if (open) {
        const cell = el("td", { colspan: COLUMNS.length + 1 }, "loading…");
        detail(name, n.host).then(
          (d) => cell.replaceChildren(d),
          (e) => cell.replaceChildren(el("p", { role: "alert", class: "alert" }, e.message)),
        );
        rows.push(el("tr", { class: "detail" }, cell));
      }
    }
    const head = COLUMNS.map(([key, title]) => {
      const b = el(
        "button",
        { type: "button" },
        title,
        view.sort === key ? (view.desc ? " ▼" : " ▲") : "",
      );
      b.addEventListener("click", () => {
        view.desc = view.sort === key ? !view.desc : false;
        view.sort = key;
        draw();
      });
      return el(
        "th",
        {
          scope: "col",
          "aria-sort": view.sort === key ? (view.desc ? "descending" : "ascending") : "none",
        },
        b,
      );
    });
    table.replaceChildren(
      el("caption", { class: "dim" }, `${shown.length} of ${nodes.length} node(s)`),
      el("thead", {}, el("tr", {}, ...head, el("th", { scope: "col" }, "Detail"))),
      el("tbody", {}, rows),
    );
  };
  const search = el("input", {
    type: "search",
    id: "node-filter",
    value: view.filter,
    placeholder: "host, status, group, error",
  });
  search.addEventListener("input", () => {
    view.filter = search.value;
    draw();
  });
  const table = el("table", { id: "nodes-table" });
  box.replaceChildren(
    el("div", { class: "row" }, el("label", { for: "node-filter" }, "Filter nodes"), search),
    alert,
    table,
  );
  draw();
}
