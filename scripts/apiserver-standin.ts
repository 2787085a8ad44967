// A kube-apiserver stand-in for the demo, the e2e tests and the bench: HTTPS on one loopback
// address, answering `/readyz` and a named `GET /` like an apiserver would, with the faults an
// apiserver has in real life switchable at run time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * ok: ready; unready: every path answers 500 (an apiserver whose etcd is gone); hung: TLS is
 * accepted and nothing is ever answered, streams included (a wedged process); stopped: nothing
 * listens and every open connection is reset (a dead machine's port).
 */
export type StandinMode = "ok" | "unready" | "hung" | "stopped";

/** A self-signed certificate for the stand-ins, made once per process with openssl. */
let pair: { key: string; cert: string } | null = null;
export function standinCertificate(): { key: string; cert: string } {
  if (pair) return pair;
  const dir = mkdtempSync(join(tmpdir(), "halo-standin-"));
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver"]
      .concat(["-keyout", join(dir, "k"), "-out", join(dir, "c"), "-days", "2"])
      .concat(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]),
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  pair = { key: readFileSync(join(dir, "k"), "utf8"), cert: readFileSync(join(dir, "c"), "utf8") };
  rmSync(dir, { recursive: true, force: true });
  return pair;
}

/** One apiserver stand-in; `counts` are what it has served since it started. */
export class ApiserverStandin {
  mode: StandinMode = "ok";
  readonly counts = { readyz: 0, handshakes: 0, requests: 0 };
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly name: string,
    readonly address: string,
    readonly port: number,
    /** the serving certificate and key (PEM); a self-signed one for localhost by default */
    private pair: { key: string; cert: string } = standinCertificate(),
  ) {}

  /**
   * Serves another certificate from the next handshake on (a renewed one), and closes the open
   * connections, so clients see it at once.
   */
  setCertificate(pair: { key: string; cert: string }): void {
    this.pair = pair;
    this.server?.setSecureContext(pair);
    for (const sock of this.sockets) sock.destroy();
  }

  /** Listens on address:port; resolves once it does. */
  async start(): Promise<this> {
    const s = createServer({ ...this.pair, keepAliveTimeout: 30_000 }, (req, res) => {
      this.counts.requests++;
      if (req.url === "/readyz") this.counts.readyz++;
      if (this.mode === "hung") return;
      if (this.mode === "unready") {
        res.writeHead(500, { "content-type": "text/plain" });
        return res.end("[-]etcd failed: reason withheld\nreadyz check failed\n");
      }
      if (req.url === "/readyz") return res.end("ok");
      if (req.url?.startsWith("/watch")) return this.stream(res);
      res.writeHead(200, { "content-type": "text/plain", connection: "close" });
      res.end(this.name);
    });
    s.on("secureConnection", (sock: Socket) => {
      this.counts.handshakes++;
      this.sockets.add(sock);
      sock.on("close", () => this.sockets.delete(sock));
      sock.on("error", () => {});
    });
    s.on("tlsClientError", () => {});
    await new Promise<void>((ok, fail) =>
      s.listen(this.port, this.address, () => ok()).once("error", fail),
    );
    this.server = s;
    this.mode = "ok";
    return this;
  }

  /** A watch: the stand-in's name, then a line every 200 ms while it is ok. */
  private stream(res: import("node:http").ServerResponse): void {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write(`${this.name}\n`);
    const t = setInterval(() => {
      if (this.mode === "ok") res.write("event\n");
    }, 200);
    res.on("close", () => clearInterval(t));
  }

  private starting: Promise<this> | null = null;

  /**
   * Switches the fault; `stopped` closes the port and drops every open connection. Callers may
   * overlap (two clients healing it at once): it is started once.
   */
  async set(mode: StandinMode): Promise<void> {
    if (mode === "stopped") return this.stop();
    if (this.server === null) {
      this.starting ??= this.start().finally(() => {
        this.starting = null;
      });
      await this.starting;
    }
    this.mode = mode;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.mode = "stopped";
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Established connections from clients, now. */
  get connections(): number {
    return this.sockets.size;
  }
}
