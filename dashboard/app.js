// halo's dashboard: the clusters, and for one cluster the traffic diagram, its nodes, the
// reachability matrix, the live rollout, and plan-then-apply. Plain modules, no build step.
import { api, ApiError, cluster, el, followEvents, get, mark, token } from "./api.js";
import { renderDiagram } from "./diagram.js";
import { renderMatrix } from "./matrix.js";
import { renderNodes } from "./nodes.js";
import { renderPlan } from "./plan.js";
import { renderRollout } from "./rollout.js";

const main = document.getElementById("main");
const live = document.getElementById("live");
const sections = document.getElementById("sections");
const logout = document.getElementById("logout");
let stop = () => {};

function login(message) {
  stop();
  sections.hidden = true;
  logout.hidden = true;
  const alert = el("p", { role: "alert", class: "alert", id: "login-alert" }, message ?? "");
  const input = el("input", {
    id: "token",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "aria-describedby": "token-help",
  });
  const form = el(
    "form",
    { class: "login", "aria-labelledby": "login-title" },
    el("h1", { id: "login-title" }, "Sign in to halo"),
    el("label", { for: "token" }, "Admin token"),
    input,
    el(
      "small",
      { id: "token-help", class: "dim" },
      "HALO_ADMIN_TOKEN (npm start prints it). Kept in this tab's sessionStorage only.",
    ),
    el("button", { type: "submit", class: "primary" }, "Sign in"),
    alert,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    alert.textContent = "";
    try {
      await api("GET", "/v1/clusters", { token: input.value });
      token.set(input.value);
      route();
    } catch (err) {
      alert.textContent =
        err instanceof ApiError && err.status === 401
          ? "That token was refused (401): it is not this control plane's admin token."
          : err.message;
    }
  });
  main.replaceChildren(form);
  input.focus();
}

async function clustersPage() {
  const { clusters } = await get("/v1/clusters");
  const rows = clusters.map((c) => {
    const n = c.nodes;
    return el(
      "tr",
      {},
      el("td", {}, el("a", { href: `/clusters/${encodeURIComponent(c.name)}` }, c.name)),
      el(
        "td",
        {},
        `v${c.version}`,
        c.stableVersion !== c.version ? ` (stable v${c.stableVersion})` : "",
      ),
      el("td", {}, `${n.hosts}`),
      el("td", {}, mark(n.connected === n.registered ? "ok" : "warn", `${n.connected} connected`)),
      el("td", {}, mark(n.applied === n.hosts ? "ok" : "warn", `${n.applied} applied`)),
      el("td", {}, mark(n.failed > 0 ? "bad" : "ok", `${n.failed} failed`)),
      el(
        "td",
        {},
        c.rollout
          ? `#${c.rollout.id} ${c.rollout.state} (wave ${c.rollout.wave + 1}/${c.rollout.waveCount})`
          : "none",
      ),
    );
  });
  main.replaceChildren(
    el("h1", {}, "Clusters"),
    clusters.length === 0
      ? el(
          "p",
          { class: "notice" },
          "No clusters yet: `halo cluster create NAME`, then `halo apply -f inventory.ini`.",
        )
      : el(
          "table",
          {},
          el("caption", { class: "dim" }, `${clusters.length} cluster(s)`),
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              ...[
                "Cluster",
                "Version",
                "Hosts",
                "Connected",
                "Applied",
                "Failed",
                "Active rollout",
              ].map((h) => el("th", { scope: "col" }, h)),
            ),
          ),
          el("tbody", {}, rows),
        ),
  );
}

/** One cluster: every section loads its data, and events (or polling) refresh them. */
async function clusterPage(name) {
  const base = cluster(name);
  const parts = [
    ["traffic", "Traffic to the apiserver and etcd"],
    ["rollout", "Rollout"],
    ["nodes", "Nodes"],
    ["reachability", "Reachability"],
    ["plan", "Plan and apply"],
  ];
  sections.replaceChildren(...parts.map(([id, title]) => el("a", { href: `#${id}` }, title)));
  sections.hidden = false;
  const boxes = Object.fromEntries(parts.map(([id]) => [id, el("div", { id: `${id}-body` })]));
  const summary = el("p", { id: "summary" });
  main.replaceChildren(
    el("h1", {}, `Cluster ${name}`),
    summary,
    ...parts.map(([id, title]) =>
      el(
        "section",
        { id, "aria-labelledby": `${id}-h` },
        el("h2", { id: `${id}-h` }, title),
        boxes[id],
      ),
    ),
  );
  const t0 = performance.now();
  const refresh = async () => {
    const [info, diagram, nodes, reach, rollouts, certs] = await Promise.all([
      get(base),
      get(`${base}/diagram`),
      get(`${base}/nodes`),
      get(`${base}/reachability`),
      get(`${base}/rollouts`),
      get(`${base}/certificates`),
    ]);
    const n = info.nodes;
    summary.replaceChildren(
      `Version ${info.version} · ${n.hosts} hosts · ${n.connected} connected · ${n.applied} applied · `,
      mark(n.failed > 0 ? "bad" : "ok", `${n.failed} failed`),
    );
    renderDiagram(boxes.traffic, diagram, nodes.nodes, reach, certs.certificates);
    renderRollout(boxes.rollout, name, rollouts.rollouts ?? [], info, refresh);
    renderNodes(boxes.nodes, name, nodes.nodes, refresh);
    renderMatrix(boxes.reachability, reach);
    return info;
  };
  await refresh();
  renderPlan(boxes.plan, name, refresh);
  document.body.dataset.firstRenderMs = String(Math.round(performance.now() - t0));
  document.body.dataset.ready = "true";

  let timer = null;
  let polling = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh().catch(() => {}), 300);
  };
  const closeEvents = followEvents(name, soon, (state) => {
    live.textContent = state === "live" ? "● live (events)" : "○ polling every 5 s";
    clearInterval(polling);
    if (state !== "live") polling = setInterval(soon, 5000);
  });
  stop = () => {
    closeEvents();
    clearInterval(polling);
    clearTimeout(timer);
  };
}

async function route() {
  stop();
  stop = () => {};
  document.body.dataset.ready = "false";
  if (!token.get()) return login();
  logout.hidden = false;
  sections.hidden = true;
  const m = /^\/clusters\/([^/]+)\/?$/.exec(location.pathname);
  try {
    if (m) await clusterPage(decodeURIComponent(m[1]));
    else await clustersPage();
    document.body.dataset.ready = "true";
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      token.clear();
      return login("Your token was refused: sign in again.");
    }
    main.replaceChildren(el("p", { role: "alert", class: "alert" }, e.message));
  }
}

document.addEventListener("click", (e) => {
  const a = e.target.closest?.("a[href^='/']");
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  history.pushState(null, "", a.getAttribute("href"));
  void route();
});
window.addEventListener("popstate", () => void route());
logout.addEventListener("click", () => {
  token.clear();
  login();
});
void route();
