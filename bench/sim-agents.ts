// Simulated agents for the fan-out benchmark (runs under Bun, whose WebSocket takes headers):
// each opens a real WebSocket, says hello with what it has, and acks every config at once.
// Prints "ready" when all are connected, then one line per ack: "<host> <ms since epoch>".
import { readFileSync } from "node:fs";
import { PROTOCOL_VERSION } from "../shared/protocol.ts";

interface Sim {
  host: string;
  token: string;
  hash: string;
  version: number;
}
const [server, file] = process.argv.slice(2);
const sims = JSON.parse(readFileSync(file ?? "", "utf8")) as Sim[];
let open = 0;
for (const s of sims) {
  const ws = new WebSocket(`${server?.replace(/^http/, "ws")}/v1/agent/connect`, {
    headers: { authorization: `Bearer ${s.token}` },
  });
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
      version?: number;
    };
    if (msg.type === "current" && ++open === sims.length) console.log("ready");
    if (msg.type === "config" && msg.bundle) {
      ws.send(
        JSON.stringify({ type: "applied", version: msg.bundle.version, hash: msg.bundle.hash }),
      );
      console.log(`${s.host} ${Date.now()}`);
    }
  });
  ws.addEventListener("close", (e) => console.error(`${s.host} closed ${e.code}`));
}
