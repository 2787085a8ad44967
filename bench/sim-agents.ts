// Simulated agents for the benchmarks and scale tests (runs under Bun, whose WebSocket takes
// headers): each opens a real WebSocket, says hello with what it has, and acks every config at
// once. Prints "ready" when all are connected, then one line per ack:
// "<host> <ms since epoch> <version>". With a third argument K, each then sends K probe
// reports (the last one with ms 999) and prints "sent". With SIM_RECONNECT=1 a closed socket
// reconnects as the real agent does (its reconnectDelay: full jitter, a 5 s window at least), printing
// "attempt <host> <ms>" per try and "back <host> <ms>" when the hub answers its hello again.
import { readFileSync } from "node:fs";
import { reconnectDelay } from "../agent/backoff.ts";
import { PROTOCOL_VERSION } from "../shared/protocol.ts";

interface Sim {
  host: string;
  token: string;
  hash: string;
  version: number;
}
const [server, file, reports] = process.argv.slice(2);
const reconnect = process.env.SIM_RECONNECT === "1";
const sockets: WebSocket[] = [];

/** K probe reports from every agent, as a burst: what the hub sees when a master goes down. */
function burst(k: number): void {
  for (const ws of sockets)
    for (let i = 1; i <= k; i++) {
      const ms = i === k ? 999 : i;
      ws.send(
        JSON.stringify({
          type: "report",
          probes: {
            results: {
              "apiserver:127.0.0.16:443": { ok: i % 2 === 0, ms },
              "apiserver:127.0.0.17:443": { ok: true, ms },
              "apiserver:127.0.0.18:443": { ok: true, ms },
              "etcd:127.0.0.1:2379": { ok: true, ms },
            },
            apiserver: { ok: true, ms },
          },
        }),
      );
    }
  console.log("sent");
}

const sims = JSON.parse(readFileSync(file ?? "", "utf8")) as Sim[];
let open = 0;

function connect(s: Sim, attempt: number, wasUp: boolean): void {
  const ws = new WebSocket(`${server?.replace(/^http/, "ws")}/v1/agent/connect`, {
    headers: { authorization: `Bearer ${s.token}` },
  });
  if (attempt === 0 && !wasUp) sockets.push(ws);
  let up = false;
  ws.addEventListener("open", () => {
    ws.send(
      JSON.stringify({
        type: "hello",
        protocol: PROTOCOL_VERSION,
        host: s.host,
        applied: { version: s.version, hash: s.hash },
      }),
    );
  });
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as {
      type: string;
      bundle?: { version: number; hash: string };
    };
    if ((msg.type === "current" || msg.type === "config") && !up) {
      up = true;
      if (wasUp) console.log(`back ${s.host} ${Date.now()}`);
      else if (++open === sims.length) {
        console.log("ready");
        if (reports) burst(Number(reports));
      }
    }
    if (msg.type === "config" && msg.bundle) {
      ws.send(
        JSON.stringify({ type: "applied", version: msg.bundle.version, hash: msg.bundle.hash }),
      );
      s.version = msg.bundle.version;
      s.hash = msg.bundle.hash;
      console.log(`${s.host} ${Date.now()} ${msg.bundle.version}`);
    }
  });
  ws.addEventListener("close", (e) => {
    if (!reconnect) return void console.error(`${s.host} closed ${e.code}`);
    // A socket that was up starts the backoff again; one that never came up backs off further.
    const next = up ? 0 : attempt + 1;
    setTimeout(() => {
      console.log(`attempt ${s.host} ${Date.now()}`);
      connect(s, next, wasUp || up);
    }, reconnectDelay(next));
  });
}

// SIM_SPREAD=1: the first connections come as a fleet's do after a deploy, spread over the
// agent's reconnect window, not all in the same millisecond.
const spread = process.env.SIM_SPREAD === "1";
for (const s of sims)
  if (spread) setTimeout(() => connect(s, 0, false), reconnectDelay(0));
  else connect(s, 0, false);
