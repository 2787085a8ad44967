// The reachability matrix: node x target, from the nodes' own probes. Nodes whose results are
// the same are one row ("212 nodes"), so a large cluster stays readable.
import { el } from "./api.js";

export function renderMatrix(box, reach) {
  if (reach.targets.length === 0 || reach.nodes.length === 0) {
    box.replaceChildren(
      el(
        "p",
        { class: "notice" },
        "No probe reports yet: agents report every probe interval once connected.",
      ),
    );
    return;
  }
  const key = (n) =>
    reach.targets
      .map((t) => (n.results[t.id] === undefined ? "?" : n.results[t.id].ok ? "1" : "0"))
      .join("");
  const groups = new Map();
  for (const n of reach.nodes) {
    const k = key(n);
    const g = groups.get(k) ?? { hosts: [], sample: n };
    g.hosts.push(n.host);
    groups.set(k, g);
  }
  const rows = [...groups.values()]
    .sort((a, b) => b.hosts.length - a.hosts.length)
    .map((g) => {
      const label =
        g.hosts.length === 1
          ? g.hosts[0]
          : `${g.hosts.length} nodes: ${g.hosts.slice(0, 3).join(", ")}${g.hosts.length > 3 ? " …" : ""}`;
      return el(
        "tr",
        {},
        el("th", { scope: "row" }, label),
        ...reach.targets.map((t) => {
          const r = g.sample.results[t.id];
          if (!r) return el("td", { class: "cell unknown" }, "? none");
          return el(
            "td",
            { class: `cell ${r.ok ? "ok" : "bad"}`, title: r.error ?? "" },
            r.ok ? `✓ ${r.ms} ms` : `✗ ${(r.error ?? "failed").slice(0, 40)}`,
          );
        }),
      );
    });
  box.replaceChildren(
    el(
      "table",
      { class: "matrix" },
      el(
        "caption",
        { class: "dim" },
        `${reach.nodes.length} node(s) in ${groups.size} row(s) of identical results; ✓ reachable, ✗ failing (colour repeats the icon)`,
      ),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col" }, "Node(s)"),
          ...reach.targets.map((t) =>
            el(
              "th",
              { scope: "col" },
              `${t.kind} ${t.host ?? ""}`,
              el("div", { class: "dim mono" }, t.address),
            ),
          ),
        ),
      ),
      el("tbody", {}, rows),
    ),
  );
}
