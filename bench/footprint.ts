import { BENCH_TOKEN } from "./setup.ts";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startControlPlane } from "../scripts/control-plane.ts";
import { JSON_OUTPUT } from "./report.ts";
import { cpuMs } from "./machine.ts";
import { ApiserverStandin } from "../scripts/apiserver-standin.ts";
import { checkedNginx } from "../test/e2e/nginx.ts";

const BUN = resolve("node_modules/.bin/bun");
const RSS_TARGET_MB = 40;
const CPU_TARGET_PCT = 0.1;

/** CPU seconds of a process (schedstat, all threads) and its RSS, from /proc. */
function sample(pid: number): { cpu: number; rssMb: number } {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return { cpu: cpuMs(pid) / 1000, rssMb: Number(rss) / 1024 };
}

/** The `Environment=` the agent's systemd unit sets: the shipped form runs with it. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync("agent/systemd/halo-agent.service", "utf8");
  const pairs = [...unit.matchAll(/^Environment=(.*)$/gm)].flatMap((m) =>
    (m[1] ?? "").split(/\s+/),
  );
  return Object.fromEntries(pairs.filter(Boolean).map((p) => p.split("=", 2) as [string, string]));
}

/** The forms an operator can run, each measured the same way. */
function forms(dir: string): Array<{ name: string; cmd: string[]; env?: Record<string, string> }> {
  const build = (out: string, extra: string[]) => {
    const r = spawnSync(
      BUN,
      ["build", "agent/main.ts", "--compile", "--minify", ...extra, "--outfile", out],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`bun build: ${r.stderr}`);
    return out;
  };
  const plain = build(join(dir, "halo-agent"), []);
  const bytecode = build(join(dir, "halo-agent-bytecode"), ["--bytecode"]);
  const smol = build(join(dir, "halo-agent-smol"), ["--bytecode", "--compile-exec-argv=--smol"]);
  const mb = (f: string) => `${(statSync(f).size / 1e6).toFixed(0)} MB`;
  return [
    { name: "bun agent/main.ts", cmd: [BUN, "agent/main.ts"] },
    { name: "bun --smol agent/main.ts", cmd: [BUN, "--smol", "agent/main.ts"] },
    { name: `compiled --minify (${mb(plain)})`, cmd: [plain] },
    { name: `compiled --minify --bytecode (${mb(bytecode)})`, cmd: [bytecode] },
    { name: `compiled --minify --bytecode, --smol (${mb(smol)})`, cmd: [smol] },
    // The baseline JIT only (no DFG/FTL optimizing tiers): between the two below.
    {
      name: `compiled --minify --bytecode, DFG off (${mb(bytecode)})`,
      cmd: [bytecode],
      env: { BUN_JSC_useDFGJIT: "0" },
    },
    {
      name: `compiled --minify --bytecode, JIT off (${mb(bytecode)})`,
      cmd: [bytecode],
      env: { BUN_JSC_useJIT: "0" },
    },
    // As shipped: npm run build:agent's binary with the environment its systemd unit sets.
    {
      name: `as shipped: --bytecode, the unit's environment`,
      cmd: [bytecode],
      env: unitEnvironment(),
    },
  ];
}

/**
 * One real agent per form, joined and connected, idle for `seconds`: its RSS and CPU share,
 * beside the targets (RSS <= 40 MB, CPU < 0.1%).
 */
export async function benchFootprint(seconds = 60): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "halo-footprint-"));
  const cp = await startControlPlane({ persistDir: join(dir, "d1"), adminToken: BENCH_TOKEN });
  const running: ChildProcess[] = [];
  const master = await new ApiserverStandin("m1", "127.0.0.91", 16700).start();
  try {
    const h = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };
    const call = async (method: string, path: string, body: unknown) =>
      (await fetch(`${cp.url}${path}`, { method, headers: h, body: JSON.stringify(body) })).json();
    await call("POST", "/v1/clusters", { name: "fp" });
    await call("PUT", "/v1/clusters/fp/topology", {
      // Loopback only: the agents probe this master, an apiserver stand-in answering /readyz,
      // so each idle agent keeps its TLS connection and checks it as on a real node.
      hosts: { m1: { ip: "127.0.0.91" } },
      groups: { "kube-master": { hosts: ["m1"] }, etcd: { hosts: ["m1"] } },
      vars: { kube_apiserver_port: 16700, loadbalancer_apiserver_localhost: true },
    });
    const { token } = (await call("POST", "/v1/clusters/fp/join-tokens", {})) as {
      token: string;
    };
    /** Waits until the node has applied its config: an idle agent is one that has nothing to do. */
    const applied = async (host: string) => {
      const t0 = performance.now();
      for (;;) {
        const { nodes } = (await call("GET", "/v1/clusters/fp/nodes", undefined)) as {
          nodes: Array<{ host: string; status: string; lastError?: string | null }>;
        };
        const n = nodes.find((x) => x.host === host);
        if (n?.status === "applied") return;
        if (performance.now() - t0 > 30_000)
          throw new Error(
            `${host} never applied: ${n?.status ?? "not joined"} ${n?.lastError ?? ""}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const all = forms(dir);
    const results: Array<{ name: string; rssMb: number; cpuPct: number }> = [];
    for (const [i, form] of all.entries()) {
      const node = join(dir, `n${i}`);
      mkdirSync(join(node, "root/etc"), { recursive: true });
      writeFileSync(join(node, "root/etc/hosts"), "127.0.0.1 localhost\n");
      const state = join(node, "state");
      // A node as it runs for real: its files, and nginx as the localhost LB, checked with nginx -t.
      const config = join(node, "agent.json");
      writeFileSync(config, JSON.stringify({ artifacts: checkedNginx(join(node, "nginx.pid")) }));
      const [exe = "", ...pre] = form.cmd;
      const env = { ...process.env, HALO_LOOPBACK_ONLY: "1", ...form.env };
      spawnSync(
        exe,
        [
          ...pre,
          "join",
          ...["--server", cp.url, "--token-file", "-", "--hostname", `n${i}`],
          ...["--ip", `127.0.1.${i + 1}`, "--state", state],
        ],
        { input: token, env },
      );
      const agent = spawn(
        exe,
        [...pre, "run", "--root", join(node, "root"), "--state", state, "--config", config],
        { stdio: "ignore", env },
      );
      running.push(agent);
      await applied(`n${i}`);
      // Settled: start-up garbage collected, the first probes made.
      await new Promise((r) => setTimeout(r, 5000));
      const a = sample(agent.pid ?? 0);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const b = sample(agent.pid ?? 0);
      agent.kill("SIGTERM");
      results.push({ name: form.name, rssMb: b.rssMb, cpuPct: ((b.cpu - a.cpu) / seconds) * 100 });
    }
    console.log(
      `agent idle ${seconds} s connected (targets: RSS <= ${RSS_TARGET_MB} MB, CPU < ${CPU_TARGET_PCT}%):`,
    );
    for (const r of results)
      console.log(
        `  ${r.name.padEnd(52)} RSS ${r.rssMb.toFixed(1).padStart(5)} MB ${r.rssMb <= RSS_TARGET_MB ? "ok  " : "MISS"}` +
          `  CPU ${r.cpuPct.toFixed(3)}% ${r.cpuPct < CPU_TARGET_PCT ? "ok" : "MISS"}`,
      );
    if (JSON_OUTPUT)
      for (const r of results) {
        const rss = Number(r.rssMb.toFixed(1));
        const cpu = Number(r.cpuPct.toFixed(3));
        console.log(
          JSON.stringify({
            figure: `agent idle RSS: ${r.name}`,
            value: rss,
            unit: "MB",
            target: RSS_TARGET_MB,
            ok: rss <= RSS_TARGET_MB,
          }),
        );
        console.log(
          JSON.stringify({
            figure: `agent idle CPU: ${r.name}`,
            value: cpu,
            unit: "%",
            target: CPU_TARGET_PCT,
            ok: cpu < CPU_TARGET_PCT,
          }),
        );
      }
  } finally {
    for (const p of running) if (p.exitCode === null) p.kill("SIGKILL");
    await master.stop();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
