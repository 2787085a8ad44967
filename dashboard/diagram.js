// The Kargo document's lost diagram, drawn from the computed endpoints (GET .../diagram) and coloured by
// what the nodes report (GET .../nodes, GET .../reachability). Identical nodes are one box.
import { el } from "./api.js";

const NS = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
};

const ICON = { ok: "✓", bad: "✗", unknown: "?" };
const names = (hosts, n = 4) =>
  hosts.length <= n
    ? hosts.join(", ")
    : `${hosts.slice(0, n).join(", ")} … +${hosts.length - n} more`;
const VIA = {
  local: "its own apiserver",
  "localhost-lb": "localhost LB",
  "external-lb": "the external LB",
  direct: "m[0] directly",
};

/** ok / bad / unknown for a set of probe outcomes; bad wins, with how many failed. */
function verdict(outcomes) {
  const known = outcomes.filter((o) => o !== undefined);
  const failed = known.filter((o) => !o.ok).length;
  if (known.length === 0) return { state: "unknown", text: "not probed yet" };
  if (failed > 0)
    return { state: "bad", text: `not ready from ${failed} of ${known.length} node(s)` };
  const unknown = known.filter((o) => o.readiness === "unknown").length;
  if (unknown > 0)
    return { state: "ok", text: `alive (readiness unknown) from ${known.length} node(s)` };
  return { state: "ok", text: `ready from ${known.length} node(s)` };
}

/** With keepalived, which lb host says it holds the VIP now (from the agents' own reports). */
function vipLine(hosts, byHost) {
  const said = hosts.filter((h) => typeof byHost.get(h)?.vipHeld === "boolean");
  if (said.length === 0) return [];
  const holders = said.filter((h) => byHost.get(h).vipHeld);
  return [holders.length > 0 ? `VIP held by ${holders.join(", ")}` : "VIP held by no lb host"];
}

const DAY_MS = 86_400_000;

/**
 * What a master's certificate means for the diagram: names nodes use that it lacks (bad), and
 * its expiry (an alert within 7 days, a warning within 30).
 */
function certLines(master, nodes, certs) {
  const cert = (certs ?? []).find((c) => c.master === master);
  if (!cert) return { lines: ["certificate not observed yet"], state: null };
  const lacks = new Set();
  for (const n of nodes)
    for (const m of n.tls?.missing ?? []) if (m.master === master) lacks.add(m.name);
  const days = Math.floor((Date.parse(cert.notAfter) - Date.now()) / DAY_MS);
  const lines = [];
  if (lacks.size > 0) lines.push(`certificate lacks ${names([...lacks], 2)}`);
  lines.push(`certificate expires in ${days} day(s)${days <= 7 ? " (ALERT)" : ""}`);
  const state = lacks.size > 0 || days <= 7 ? "bad" : days <= 30 ? "unknown" : null;
  return { lines, state };
}

export function renderDiagram(box, d, nodes, reach, certs = []) {
  const byHost = new Map(nodes.map((n) => [n.host, n]));
  const results = (id) => reach.nodes.map((n) => n.results[id]);
  const W = { a: 330, b: 280, c: 270 };
  const X = { a: 10, b: 400, c: 760 };
  const lineH = 15;
  const boxes = [];
  const edges = [];
  const col = { a: 30, b: 30, c: 30 };
  const add = (column, id, title, lines, state) => {
    const h = 14 + lineH * (lines.length + 1);
    const b = { id, x: X[column], y: col[column], w: W[column], h, title, lines, state };
    col[column] += h + 18;
    boxes.push(b);
    return b;
  };

  // Column c: masters, then the etcd members.
  const masters = d.masters.map((m) => {
    const v = verdict(results(`apiserver:${m.address}`));
    const drain = byHost.get(m.host)?.drain;
    const out = nodes.filter((n) => (n.ejected ?? []).some((e) => e.master === m.host));
    const tls = certLines(m.host, nodes, certs);
    const state = drain
      ? "unknown"
      : (out.length > 0 || tls.state === "bad") && v.state === "ok"
        ? "bad"
        : v.state;
    return add(
      "c",
      `master:${m.host}`,
      `${ICON[state]} master ${m.host}`,
      [
        `apiserver ${m.address}`,
        v.text,
        ...tls.lines,
        ...(drain ? [`${drain.state}: no LB sends it new connections`] : []),
        ...(out.length > 0
          ? [
              `taken out of the LB by ${names(
                out.map((n) => n.host),
                3,
              )}`,
            ]
          : []),
      ],
      state,
    );
  });
  col.c += 20;
  const etcdBox = add(
    "c",
    "etcd",
    `etcd: ${d.etcd.members.length} member(s)`,
    [
      names(d.etcd.members, 3),
      ...d.etcd.endpoints.slice(0, 3),
      d.etcd.endpoints.length > 3 ? `… +${d.etcd.endpoints.length - 3}` : "",
    ].filter(Boolean),
    "unknown",
  );

  // Column b: the LB the nodes pass through (shared), or m[0] direct.
  let lbBox = null;
  let directBox = null;
  if (d.lb) {
    const nameProbe = verdict(results(`lb-name:${d.lb.address}`));
    lbBox = add(
      "b",
      "lb",
      `${ICON[nameProbe.state]} external LB ${d.lb.name}`,
      [
        `VIP ${d.lb.address}`,
        d.lb.hosts.length > 0
          ? `HAProxy on ${names(d.lb.hosts, 3)}`
          : "no lb hosts in the inventory",
        `name → VIP: ${nameProbe.text}`,
        ...vipLine(d.lb.hosts, byHost),
      ],
      nameProbe.state,
    );
  }

  // Column a: one box per distinct path; its colour from the nodes' own apiserver probes.
  for (const p of d.paths) {
    const own = p.hosts
      .map((h) => byHost.get(h)?.apiserver)
      .map((a) => (a && a.ok !== null && a.ok !== undefined ? { ok: a.ok } : undefined));
    const v = verdict(own);
    const state = v.state;
    const what = p.role === "master" ? "master(s)" : "node(s)";
    const a = add(
      "a",
      `path:${p.id}`,
      `${ICON[state]} ${p.hosts.length} ${what} via ${p.via === "localhost-lb" ? `localhost ${p.proxy ?? "LB"}` : VIA[p.via]}`,
      [
        names(p.hosts),
        `apiserver ${p.url}`,
        `etcd ${p.etcd.via}: ${p.etcd.endpoints.slice(0, 2).join(", ")}${p.etcd.endpoints.length > 2 ? " …" : ""}`,
        `apiserver path: ${v.text.replace("reachable from", "ok on").replace("failing from", "failing on")}`,
      ],
      state,
    );
    const bad = state === "bad";
    if (p.via === "local")
      for (const m of masters) edges.push({ from: a, to: m, bad, label: "local" });
    else if (p.via === "external-lb" && lbBox) edges.push({ from: a, to: lbBox, bad });
    else if (p.via === "localhost-lb") {
      const local = add(
        "b",
        `proxy:${p.id}`,
        `localhost ${p.proxy ?? "LB"} on each of the ${p.hosts.length}`,
        [p.url.replace(/^https?:\/\//, ""), "balances over every master"],
        state,
      );
      edges.push({ from: a, to: local, bad });
      for (const m of masters) edges.push({ from: local, to: m, bad: false });
    } else if (p.via === "direct") {
      directBox ??= add(
        "b",
        "direct",
        "direct to m[0]",
        [masters[0] ? masters[0].title.replace(/^. master /, "") : "-", "no load balancing"],
        "unknown",
      );
      edges.push({ from: a, to: directBox, bad });
    }
    if (p.etcd.via !== "member")
      edges.push({ from: a, to: etcdBox, bad: false, etcd: true, label: p.etcd.via });
  }
  if (lbBox) for (const m of masters) edges.push({ from: lbBox, to: m, bad: false });
  if (directBox && masters[0]) edges.push({ from: directBox, to: masters[0], bad: false });

  const height = Math.max(col.a, col.b, col.c) + 10;
  const root = svg("svg", {
    width: X.c + W.c + 10,
    height,
    viewBox: `0 0 ${X.c + W.c + 10} ${height}`,
    role: "img",
    "aria-labelledby": "diagram-title",
  });
  root.append(
    svg(
      "title",
      { id: "diagram-title" },
      `How every node reaches the apiserver and etcd, version ${d.version}`,
    ),
  );
  for (const [x, t] of [
    [X.a, "nodes (grouped by path)"],
    [X.b, "through"],
    [X.c, "masters and etcd"],
  ])
    root.append(svg("text", { x, y: 16, class: "title" }, t));
  for (const e of edges) {
    const [x1, y1, x2, y2] = [
      e.from.x + e.from.w,
      e.from.y + e.from.h / 2,
      e.to.x,
      e.to.y + e.to.h / 2,
    ];
    const mid = (x1 + x2) / 2;
    root.append(
      svg("path", {
        d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        class: `edge${e.bad ? " bad" : ""}${e.etcd ? " etcd" : ""}`,
      }),
    );
  }
  for (const b of boxes) {
    const g = svg("g", { "data-box": b.id, "data-state": b.state });
    g.append(
      svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6, class: `box ${b.state}` }),
    );
    g.append(svg("text", { x: b.x + 8, y: b.y + 18, class: "title" }, b.title));
    b.lines.forEach((l, i) =>
      g.append(
        svg(
          "text",
          { x: b.x + 8, y: b.y + 18 + lineH * (i + 1) },
          l.length > 48 ? `${l.slice(0, 47)}…` : l,
        ),
      ),
    );
    root.append(g);
  }
  const legend = el(
    "p",
    { class: "dim" },
    "✓ green: the nodes' probes pass · ✗ red: a probe fails · ? grey: not probed yet · dashed: etcd",
  );
  box.replaceChildren(el("div", { class: "diagram" }, root), legend);
}
