import type { z } from "zod";
import * as S from "../shared/api-schemas.ts";
import { client, CliError, EXIT, type Client } from "./client.ts";
import { clusterOf, type Flags, type Out, type SubCommand } from "./common.ts";
import { followEvents } from "./events.ts";
import { bar } from "./format.ts";
import { IN_PLACE_ACTIONS } from "../shared/rollout.ts";
import { ROLLOUT_USAGE } from "./help.ts";

type RolloutDetail = z.output<typeof S.RolloutDetail>;

async function currentRollout(api: Client, cluster: string): Promise<number> {
  const s = await api.call(S.ClusterSummary, "GET", `/v1/clusters/${cluster}`);
  if (!s.rollout) throw new CliError(`cluster ${cluster} has no rollout`, EXIT.error);
  return s.rollout.id;
}

const ENDED: Record<string, number> = {
  completed: EXIT.ok,
  reverted: EXIT.notCompleted,
  aborted: EXIT.notCompleted,
  superseded: EXIT.notCompleted,
};

export const rolloutCmd: SubCommand = async (sub, id, f, out) => {
  const api = client(f);
  const cluster = clusterOf(f);
  const rid = id ?? String(await currentRollout(api, cluster));
  if ((IN_PLACE_ACTIONS as readonly (string | undefined)[]).includes(sub)) {
    const r = await api.call(
      S.RolloutDetail,
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
      const r = await api.call(S.RolloutDetail, "GET", `/v1/clusters/${cluster}/rollouts/${rid}`);
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
  throw new CliError(`usage: halo rollout ${ROLLOUT_USAGE} [ID]`, EXIT.usage);
};

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
  const r = await client(f).call(
    S.PutTopologyResponse,
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
