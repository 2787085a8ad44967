import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startControlPlane } from "../scripts/control-plane.ts";

const BUN = resolve("node_modules/.bin/bun");

/** CPU seconds (user + system) and RSS of a process, from /proc. */
function sample(pid: number): { cpu: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(stat[11]) + Number(stat[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return { cpu: ticks / 100, rssMb: Number(rss) / 1024 };
}

/** One real agent connected and idle for `seconds`: its RSS and CPU share. */
export async function benchFootprint(seconds = 60): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-footprint-"));
  const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: "bench" });
  try {
    const h = { authorization: "Bearer bench", "content-type": "application/json" };
    await fetch(`${cp.url}/v1/clusters`, {
      method: "POST",
      headers: h,
      body: JSON.stringify({ name: "fp" }),
    });
    const topo = {
      hosts: { m1: { ip: "10.0.0.1" }, n1: { ip: "10.0.0.2" } },
      groups: {
        "kube-master": { hosts: ["m1"] },
        etcd: { hosts: ["m1"] },
        "kube-node": { hosts: ["n1"] },
      },
      vars: {},
    };
    await fetch(`${cp.url}/v1/clusters/fp/topology`, {
      method: "PUT",
      headers: h,
      body: JSON.stringify(topo),
    });
    const { token } = (await (
      await fetch(`${cp.url}/v1/clusters/fp/join-tokens`, {
        method: "POST",
        headers: h,
        body: "{}",
      })
    ).json()) as { token: string };
    const root = join(dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/hosts"), "127.0.0.1 localhost\n");
    const state = join(dir, "state");
    spawnSync(BUN, [
      "agent/main.ts",
      "join",
      "--server",
      cp.url,
      "--token",
      token,
      "--hostname",
      "n1",
      "--ip",
      "10.0.0.2",
      "--state",
      state,
    ]);
    const agent = spawn(
      BUN,
      [
        "agent/main.ts",
        "run",
        "--root",
        root,
        "--state",
        state,
        "--config",
        "examples/agent-sandbox.yaml",
      ],
      { stdio: "ignore" },
    );
    await new Promise((r) => setTimeout(r, 3000));
    const a = sample(agent.pid!);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = sample(agent.pid!);
    agent.kill("SIGTERM");
    console.log(
      `agent idle ${seconds} s connected: RSS ${b.rssMb.toFixed(1)} MB, CPU ${(((b.cpu - a.cpu) / seconds) * 100).toFixed(3)}%`,
    );
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
