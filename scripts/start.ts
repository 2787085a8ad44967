// npm start: the control plane under `wrangler dev` with the Kargo document's example cluster moved onto
// loopback addresses, TLS apiserver stand-ins for its masters, and a demo fleet of real agents
// (one per example host) applying into a sandbox folder. Nothing leaves 127.0.0.0/8. Ctrl-C
// stops all.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { ApiserverStandin, type StandinMode } from "./apiserver-standin.ts";
import { issue, makeCA } from "./certs.ts";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { freePort, startControlPlane } from "./control-plane.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BUN = resolve(ROOT, "node_modules/.bin/bun");
const DATA = resolve(ROOT, ".halo");
const SANDBOX = resolve(DATA, "sandbox");
const CLUSTER = "demo";
const INVENTORY = resolve(ROOT, "examples/demo-cluster.ini");
/** The demo cluster's masters (examples/demo-cluster.ini): their apiserver stand-ins. */
const MASTERS = { master1: "127.0.10.11", master2: "127.0.10.12" } as const;
const SP = 6443;
// The demo's agents stop rather than probe anything beyond loopback.
const AGENT_ENV = { ...process.env, HALO_LOOPBACK_ONLY: "1" };

function adminToken(): string {
  const vars = resolve(ROOT, ".dev.vars");
  const found = existsSync(vars)
    ? /^HALO_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(vars, "utf8"))?.[1]
    : undefined;
  if (found) return found.trim();
  const token = randomBytes(24).toString("base64url");
  writeFileSync(vars, `HALO_ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  return token;
}

// `npm start -- --fresh` starts over; otherwise what the last run left (topology changes made
// through the API included) is kept.
if (process.argv.includes("--fresh")) {
  rmSync(DATA, { recursive: true, force: true });
  console.log("halo: --fresh: the previous state in .halo/ is gone");
}
const token = adminToken();
const port = await freePort().then((p) => (process.env.PORT ? Number(process.env.PORT) : p));
console.log("halo: starting the control plane (wrangler dev, workerd + D1 on local disk)...");
const cp = await startControlPlane({ persistDir: resolve(DATA, "state"), adminToken: token, port });
const api = async (method: string, path: string, body?: string, type = "application/json") => {
  const res = await fetch(`${cp.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": type },
    body,
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
  };
};

const created = await api("POST", "/v1/clusters", JSON.stringify({ name: CLUSTER }));
if (created.status === 201) {
  const put = await api(
    "PUT",
    `/v1/clusters/${CLUSTER}/topology`,
    readFileSync(INVENTORY, "utf8"),
    "text/plain",
  );
  if (put.status !== 200) throw new Error(`loading ${INVENTORY}: ${JSON.stringify(put.body)}`);
} else {
  const v = (await api("GET", `/v1/clusters/${CLUSTER}`)).body?.version;
  console.log(
    `halo: cluster ${CLUSTER} is kept as the last run left it (version ${String(v)}); npm start -- --fresh starts over`,
  );
}
let topo = (await api("GET", `/v1/clusters/${CLUSTER}/topology`)).body as {
  topology: { hosts: Record<string, { ip?: string }> };
};
// A cluster kept from an earlier demo on other addresses would have the agents probe them.
if (Object.values(topo.topology.hosts).some((h) => h.ip && !h.ip.startsWith("127."))) {
  console.log(`halo: the kept cluster has addresses beyond loopback; loading ${INVENTORY} again`);
  const put = await api(
    "PUT",
    `/v1/clusters/${CLUSTER}/topology?prune=true`,
    readFileSync(INVENTORY, "utf8"),
    "text/plain",
  );
  if (put.status !== 200) throw new Error(`loading ${INVENTORY}: ${JSON.stringify(put.body)}`);
  topo = (await api("GET", `/v1/clusters/${CLUSTER}/topology`)).body as typeof topo;
}
const join = (
  await api(
    "POST",
    `/v1/clusters/${CLUSTER}/join-tokens`,
    // Naming the hosts lets this run's agents take over the last run's (their stored
    // credentials point at the last run's port).
    JSON.stringify({
      ttlSeconds: 3600,
      groups: ["etcd", "kube-master", "kube-node", "lb"],
      hosts: Object.keys(topo.topology.hosts),
    }),
  )
).body as { token: string };

// One TLS stand-in per master, serving a certificate from a demo CA with the SANs halo says
// that master needs, and a control port to break and heal them.
const ca = makeCA("halo-demo-ca");
const sansOf = async (name: string) =>
  (
    (await api("GET", `/v1/clusters/${CLUSTER}/nodes/${name}/endpoints`)).body as {
      certSANs?: string[];
    }
  ).certSANs ?? ["localhost", "127.0.0.1"];
const standins = new Map(
  await Promise.all(
    Object.entries(MASTERS).map(
      async ([name, ip]) =>
        [name, new ApiserverStandin(name, ip, SP, issue(ca, await sansOf(name)))] as const,
    ),
  ),
);
for (const s of standins.values()) await s.start();
const control = createServer((req, res) => {
  const [, name, mode] = (req.url ?? "").split("/");
  const s = standins.get(name ?? "");
  if (req.method !== "POST" || !s || !["ok", "unready", "hung", "stopped"].includes(mode ?? "")) {
    res.writeHead(404).end("POST /<master>/<ok|unready|hung|stopped>\n");
    return;
  }
  void s.set(mode as StandinMode).then(() => res.end(`${name} is ${mode}\n`));
});
const controlPort = await new Promise<number>((r) =>
  control.listen(0, "127.0.0.1", () => r((control.address() as { port: number }).port)),
);

const agents: ChildProcess[] = [];
for (const [host, h] of Object.entries(topo.topology.hosts)) {
  const dir = resolve(SANDBOX, host);
  mkdirSync(resolve(dir, "etc"), { recursive: true });
  if (!existsSync(resolve(dir, "etc/hosts")))
    writeFileSync(
      resolve(dir, "etc/hosts"),
      `127.0.0.1 localhost\n::1 localhost\n127.0.1.1 ${host}\n`,
    );
  const common = ["--state", resolve(dir, "var/lib/halo")];
  const joined = spawnSync(
    BUN,
    [
      "agent/main.ts",
      "join",
      "--server",
      cp.url,
      "--token-file",
      "-",
      "--hostname",
      host,
      "--ip",
      h.ip ?? "127.0.0.1",
      ...common,
    ],
    { cwd: ROOT, encoding: "utf8", env: AGENT_ENV, input: join.token },
  );
  if (joined.status !== 0) throw new Error(`agent ${host} could not join: ${joined.stderr}`);
  const agent = spawn(
    BUN,
    ["agent/main.ts", "run", "--root", dir, "--config", "examples/agent-sandbox.yaml", ...common],
    { cwd: ROOT, stdio: ["ignore", "inherit", "pipe"], env: AGENT_ENV },
  );
  agent.stderr?.on("data", (d: Buffer) =>
    process.stdout.write(
      d
        .toString()
        .replace(/^/gm, `[${host}] `)
        .replace(/\[[^\]]+\] $/, ""),
    ),
  );
  agents.push(agent);
}

console.log(`
halo is running.
  dashboard      ${cp.url}/clusters/${CLUSTER}   (sign in with the admin token)
  control plane  ${cp.url}   (API: ${cp.url}/v1/openapi.json)
  admin token    ${token}   (also in .dev.vars)
  cluster        ${CLUSTER}, from ${INVENTORY} (the Kargo document's example cluster on loopback addresses)
  apiservers     TLS stand-ins for ${Object.entries(MASTERS)
    .map(([n, ip]) => `${n} (${ip}:${SP})`)
    .join(", ")}
  agents         ${agents.length}, one per host, writing under ${SANDBOX}/<host>/etc

Look at a node's files:
  cat ${SANDBOX}/node1/etc/hosts ${SANDBOX}/node1/etc/halo/endpoints.json

Break a master and watch the nodes see it (reachability, the dashboard), then heal it:
  curl -s -X POST http://127.0.0.1:${controlPort}/master2/unready     (or hung, stopped, ok)
  curl -s -H "authorization: Bearer ${token}" ${cp.url}/v1/clusters/${CLUSTER}/reachability

Drain a master (no LB sends it new connections), follow it, end it:
  sed -n 's/^HALO_ADMIN_TOKEN=//p' .dev.vars | npm run -s halo -- login --server ${cp.url} --token-file - --cluster ${CLUSTER}
  npm run halo -- drain master2 --wait
  npm run halo -- undrain master2

Change the topology and watch them follow (drops the external LB: nodes go direct to m[0]):
  sed '/loadbalancer_apiserver=/d' examples/demo-cluster.ini | curl -s -X PUT -H "authorization: Bearer ${token}" \\
    -H "content-type: text/plain" --data-binary @- ${cp.url}/v1/clusters/${CLUSTER}/topology
  curl -s -H "authorization: Bearer ${token}" ${cp.url}/v1/clusters/${CLUSTER}/nodes

Ctrl-C stops everything.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  for (const a of agents) a.kill("SIGTERM");
  control.close();
  for (const s of standins.values()) await s.stop();
  await cp.stop();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
cp.process.on("exit", () => {
  if (!stopping) {
    console.error(`halo: wrangler dev exited:\n${cp.output().slice(-2000)}`);
    void stop();
  }
});
