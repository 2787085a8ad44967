// Plan then apply: an inventory (pasted or uploaded; INI, YAML or JSON) is sent as a dry run,
// the per-host diff is shown (kinds, apiserver before/after, removed and retired marked), and
// Apply sends it with If-Match naming the planned version, so a change in between is a
// conflict the operator sees, not a silent overwrite.
import { api, ApiError, cluster, el } from "./api.js";

const TYPES = { ini: "text/plain", yaml: "application/yaml", json: "application/json" };

function guess(text) {
  const t = text.trimStart();
  if (t.startsWith("{")) return "json";
  if (/^\[[^\]]+\]\s*$/m.test(t.split("\n")[0] ?? "")) return "ini";
  return "yaml";
}

export function renderPlan(box, name, refresh) {
  const text = el("textarea", {
    id: "inventory",
    spellcheck: "false",
    "aria-describedby": "inventory-help",
  });
  const file = el("input", {
    type: "file",
    id: "inventory-file",
    accept: ".ini,.yaml,.yml,.json,.txt",
  });
  const format = el(
    "select",
    { id: "inventory-format" },
    el("option", { value: "auto" }, "detect"),
    ...Object.keys(TYPES).map((k) => el("option", { value: k }, k.toUpperCase())),
  );
  const prune = el("input", { type: "checkbox", id: "prune" });
  const planBtn = el("button", { type: "button", class: "primary" }, "Plan");
  const applyBtn = el("button", { type: "button", disabled: true }, "Apply");
  const alert = el("p", { role: "alert", class: "alert", id: "plan-alert" });
  const result = el("div", { id: "plan-result", "aria-live": "polite" });
  let planned = null;

  const send = (dryRun) => {
    const f = format.value === "auto" ? guess(text.value) : format.value;
    const q = new URLSearchParams();
    if (dryRun) q.set("dryRun", "true");
    if (prune.checked) q.set("prune", "true");
    return api("PUT", `${cluster(name)}/topology?${q}`, {
      body: text.value,
      type: TYPES[f],
      ifMatch: dryRun ? undefined : planned?.version,
    });
  };
  const invalidate = () => {
    planned = null;
    applyBtn.disabled = true;
  };
  text.addEventListener("input", invalidate);
  prune.addEventListener("change", invalidate);
  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    if (!f) return;
    text.value = await f.text();
    const ext = f.name.split(".").pop();
    format.value = ext === "yml" ? "yaml" : ext in TYPES ? ext : "auto";
    invalidate();
  });

  planBtn.addEventListener("click", async () => {
    alert.textContent = "";
    result.replaceChildren();
    invalidate();
    try {
      const { body } = await send(true);
      planned = body;
      result.replaceChildren(...describe(body));
      applyBtn.disabled = false;
    } catch (e) {
      alert.textContent =
        e instanceof ApiError && e.status === 422
          ? `The inventory is invalid: ${e.message}`
          : e.message;
    }
  });
  applyBtn.addEventListener("click", async () => {
    alert.textContent = "";
    const removing = planned?.removed?.length ?? 0;
    if (
      removing > 0 &&
      !confirm(`Apply and remove ${removing} host(s)? Their agents lose their credentials.`)
    )
      return;
    try {
      const { body } = await send(false);
      result.replaceChildren(
        el(
          "p",
          { class: "notice", id: "applied" },
          `Applied as version ${body.version}: ${body.changed.length} host(s) change${body.removed.length > 0 ? `, ${body.removed.length} removed` : ""}. The rollout is above.`,
        ),
      );
      invalidate();
      await refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 412)
        alert.textContent = `Conflict: the topology changed since this plan (${e.message}). Plan again to see the change against the current version.`;
      else alert.textContent = e.message;
      invalidate();
    }
  });

  box.replaceChildren(
    el(
      "div",
      {},
      el("label", { for: "inventory" }, "Inventory"),
      el(
        "div",
        { id: "inventory-help", class: "dim" },
        "Kubespray INI or YAML, or halo's JSON; the whole topology (hosts not in it are kept as registered unless Prune is on).",
      ),
    ),
    text,
    el(
      "div",
      { class: "row" },
      el("label", { for: "inventory-file" }, "Upload inventory"),
      file,
      el("label", { for: "inventory-format" }, "Format"),
      format,
      prune,
      el("label", { for: "prune" }, "Prune hosts that joined but are not in the inventory"),
    ),
    el("div", { class: "row" }, planBtn, applyBtn),
    alert,
    result,
  );
}

function describe(plan) {
  const preview = plan.preview ?? [];
  const rows = preview.map((p) =>
    el(
      "tr",
      { "data-host": p.host },
      el("th", { scope: "row" }, p.host),
      el("td", {}, p.kinds.join(", ") || "-"),
      el(
        "td",
        {},
        p.retired.length > 0
          ? el("span", { class: "removed" }, `✗ retired: ${p.retired.join(", ")}`)
          : "-",
      ),
      el(
        "td",
        { class: "mono" },
        p.apiserver.before ?? "(none)",
        p.apiserver.before !== p.apiserver.after
          ? el("span", {}, " → ", el("strong", {}, p.apiserver.after ?? "(none)"))
          : " (unchanged)",
      ),
    ),
  );
  const removed = (plan.removed ?? []).map((h) =>
    el(
      "tr",
      { "data-host": h, class: "removed" },
      el("th", { scope: "row" }, h),
      el("td", { colspan: 3 }, "✗ REMOVED: leaves the cluster; its agent's credential is deleted"),
    ),
  );
  return [
    el(
      "p",
      { id: "plan-summary" },
      `Plan against version ${plan.version}${plan.profile ? ` (${plan.profile.name} inventory)` : ""}: ${preview.length} host(s) change, ${(plan.removed ?? []).length} removed.`,
    ),
    rows.length + removed.length === 0
      ? el("p", { class: "notice" }, "Nothing changes on any node.")
      : el(
          "table",
          { id: "plan-table" },
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              ...["Host", "Kinds that change", "Retired", "Apiserver URL before → after"].map((h) =>
                el("th", { scope: "col" }, h),
              ),
            ),
          ),
          el("tbody", {}, rows, removed),
        ),
  ];
}
