// The live rollout: its waves and their hosts, with pause, resume, abort and rollback, each
// behind a confirmation.
import { api, cluster, el, get, mark } from "./api.js";

const STATE = {
  completed: "ok",
  in_progress: "warn",
  paused: "warn",
  aborted: "bad",
  reverted: "bad",
  superseded: "unknown",
};
// The question each action asks; which actions a rollout allows now, the API says (`actions`).
const ASK = {
  pause: "Pause this rollout? Nodes already changed keep their config.",
  resume: "Resume this rollout? The current wave is retried.",
  abort: "Abort this rollout? Nodes it changed go back to the last good version.",
  rollback: "Roll back? The version before this rollout is rolled out again as a new version.",
};

export async function renderRollout(box, name, list, info, refresh) {
  const latest = list[0];
  if (!latest) {
    box.replaceChildren(
      el("p", { class: "notice" }, "No rollout yet: apply a topology to start one."),
    );
    return;
  }
  const r = await get(`${cluster(name)}/rollouts/${latest.id}`);
  const alert = el("p", { role: "alert", class: "alert" });
  const buttons = (r.actions ?? [])
    .filter((action) => action in ASK)
    .map((action) => {
      const label =
        action === "rollback"
          ? `Roll back to v${r.fromVersion}`
          : action[0].toUpperCase() + action.slice(1);
      const b = el(
        "button",
        { type: "button", class: action === "pause" || action === "resume" ? "" : "danger" },
        label,
      );
      b.addEventListener("click", async () => {
        if (!confirm(ASK[action])) return;
        b.disabled = true;
        try {
          await api("POST", `${cluster(name)}/rollouts/${r.id}/${action}`);
          await refresh();
        } catch (e) {
          alert.textContent = `${label}: ${e.message}`;
          b.disabled = false;
        }
      });
      return b;
    });
  const waves = (r.waves ?? []).map((w) => {
    const done = w.nodes.filter((n) => n.status === "applied").length;
    const failed = w.nodes.filter((n) => n.status === "failed");
    return el(
      "div",
      { class: `wave${w.state === "current" ? " current" : ""}`, "data-wave": w.index },
      el("strong", {}, w.name),
      " ",
      mark(w.state === "done" ? "ok" : w.state === "current" ? "warn" : "unknown", w.state),
      el("div", {}, `${done}/${w.nodes.length} applied`),
      failed.length > 0
        ? el("div", { class: "bad" }, `✗ failed: ${failed.map((n) => n.host).join(", ")}`)
        : null,
      el(
        "div",
        { class: "dim" },
        w.nodes
          .slice(0, 4)
          .map((n) => n.host)
          .join(", "),
        w.nodes.length > 4 ? " …" : "",
      ),
    );
  });
  box.replaceChildren(
    el(
      "p",
      { id: "rollout-state" },
      `Rollout #${r.id}: v${r.fromVersion} → v${r.toVersion} `,
      mark(STATE[r.state] ?? "unknown", r.state),
      r.reason ? el("span", { class: "dim" }, ` (${r.reason})`) : null,
      info.version !== r.toVersion
        ? el("span", { class: "dim" }, ` · the topology is now at v${info.version}`)
        : null,
    ),
    el("div", { class: "waves" }, waves),
    el("div", { class: "row" }, buttons),
    alert,
  );
}
