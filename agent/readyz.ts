import type { Socket } from "bun";
import { readinessOf, type ProbeResult } from "../shared/live.ts";
import type { X509Certificate } from "node:crypto";
import { peerCert, pemCertificates } from "./certs.ts";
import { guardProbe } from "./loopback-guard.ts";

const since = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f]/g, " ").slice(0, 200);

/**
 * A socket error as node words it (`connect ECONNREFUSED 10.0.0.1:6443`): Bun's sockets say
 * only "Failed to connect", with the code on the side.
 */
export function socketError(e: unknown, host: string, port: number): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  return typeof code === "string" && /^E[A-Z]+$/.test(code)
    ? new Error(`${(err as { syscall?: string }).syscall ?? "connect"} ${code} ${where}`)
    : err;
}

/** `ip:port` or `[v6]:port` into its parts. */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/** What a `/readyz` answer means as a probe result: ready, or alive (401/403), or not ready. */
export function readyzResult(status: number, ms: number): ProbeResult {
  const readiness = readinessOf(status);
  return {
    ok: readiness !== "not-ready",
    ms,
    status,
    readiness,
    ...(readiness === "not-ready" ? { error: `/readyz answered ${status}` } : {}),
  };
}

/** Where a GET goes: the address dialled, and what the request says it is for. */
export interface GetTarget {
  host: string;
  port: number;
  tls: boolean;
  /** the Host header (default `host:port`) */
  hostHeader?: string;
  /** the TLS server name (SNI), when the URL named a host rather than an address */
  servername?: string;
  path: string;
}

interface Conn {
  socket: Socket<Conn>;
  buf: Uint8Array;
  /** the answer in progress, and what to do with it */
  waiting: ((head: Head | Error) => void) | null;
  /** body bytes still to read before the connection can carry another request */
  bodyLeft: number;
  reusable: boolean;
  closed: boolean;
  cert: ProbeResult["cert"] | null;
  ready: Promise<Error | null>;
}

interface Head {
  status: number;
  /** body length, or null when the answer is not length-delimited (the connection then closes) */
  length: number | null;
  keepAlive: boolean;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The status line and the headers that decide whether the connection can be reused. */
export function parseHead(text: string): Head | Error {
  const [statusLine = "", ...lines] = text.split("\r\n");
  const m = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(statusLine);
  if (!m) return new Error(`not an HTTP answer: ${JSON.stringify(statusLine.slice(0, 40))}`);
  const headers = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const length = headers.has("transfer-encoding")
    ? null
    : /^\d{1,9}$/.test(headers.get("content-length") ?? "")
      ? Number(headers.get("content-length"))
      : null;
  const connection = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive = m[1] === "1" ? connection !== "close" : connection === "keep-alive";
  return { status: Number(m[2]), length, keepAlive };
}

const concat = (a: Uint8Array, b: Uint8Array) => {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/**
 * HTTP/1.1 GETs that need nothing but the status: `/readyz` checks. Each address keeps one
 * connection alive between checks, and a TLS connection shows the certificate its server
 * presented (read once per connection, as the chain the server sent). Written on Bun's own
 * sockets: node's https client costs the agent about 16 MB of resident memory, and Bun's fetch
 * does not show the certificate of a server it did not verify.
 */
export class StatusGetter {
  private readonly idle = new Map<string, Conn>();

  constructor(
    /** the CA a server must chain to, or null to take any certificate (readiness, not identity) */
    private readonly ca: string | null,
    private readonly observe: (c: Conn) => void = () => {},
  ) {}

  private open(t: GetTarget): Conn {
    let settle: (e: Error | null) => void = () => {};
    const conn: Conn = {
      socket: null as unknown as Socket<Conn>,
      buf: new Uint8Array(0),
      waiting: null,
      bodyLeft: 0,
      reusable: false,
      closed: false,
      cert: null,
      ready: new Promise((r) => (settle = r)),
    };
    const fail = (e: Error) => {
      conn.closed = true;
      settle(e);
      const w = conn.waiting;
      conn.waiting = null;
      w?.(e);
    };
    const handlers = {
      open(s: Socket<Conn>) {
        if (!t.tls) {
          conn.socket = s;
          settle(null);
        }
      },
      handshake: (s: Socket<Conn>, ok: boolean, err: Error | null) => {
        conn.socket = s;
        if (this.ca && !ok) {
          fail(new Error(`certificate: ${err?.message ?? "not verified"}`));
          s.terminate();
          return;
        }
        this.observe(conn);
        settle(null);
      },
      data: (_s: Socket<Conn>, chunk: Uint8Array) => this.onData(conn, chunk),
      close: () => fail(new Error("connection closed before an answer")),
      error: (_s: Socket<Conn>, e: Error) => fail(socketError(e, t.host, t.port)),
      connectError: (_s: Socket<Conn>, e: Error) => fail(socketError(e, t.host, t.port)),
    };
    const tls = t.tls
      ? {
          ...(this.ca ? { ca: this.ca } : { rejectUnauthorized: false }),
          ...(t.servername ? { serverName: t.servername } : {}),
        }
      : undefined;
    Bun.connect({ hostname: t.host, port: t.port, ...(tls ? { tls } : {}), socket: handlers })
      .then((s) => (conn.socket = s))
      .catch((e: unknown) => fail(socketError(e, t.host, t.port)));
    return conn;
  }

  private onData(conn: Conn, chunk: Uint8Array): void {
    if (conn.waiting === null) {
      // The rest of an answer already taken: count it off.
      conn.bodyLeft -= chunk.length;
      if (conn.bodyLeft < 0) conn.reusable = false;
      return;
    }
    conn.buf = concat(conn.buf, chunk);
    const end = indexOf(conn.buf, CRLF2);
    if (end < 0) {
      if (conn.buf.length > 16_384) conn.waiting(new Error("answer headers over 16 KiB"));
      return;
    }
    const head = parseHead(new TextDecoder().decode(conn.buf.subarray(0, end)));
    const got = conn.buf.length - end - 4;
    conn.buf = new Uint8Array(0);
    if (!(head instanceof Error)) {
      conn.reusable = head.keepAlive && head.length !== null && got <= head.length;
      conn.bodyLeft = (head.length ?? 0) - got;
    }
    const w = conn.waiting;
    conn.waiting = null;
    w(head);
  }

  /**
   * One GET: the status, or an error (a refused connection, a failed handshake, no answer in
   * `timeoutMs`). With `keepAlive` the connection stays open for the next GET to the same
   * target; without it, it is closed once the answer is in.
   */
  async get(
    t: GetTarget,
    timeoutMs: number,
    keepAlive = true,
  ): Promise<{ status: number; cert: ProbeResult["cert"] | null } | { error: string }> {
    const key = `${t.tls}|${t.host}|${t.port}|${t.servername ?? ""}`;
    let conn = this.idle.get(key);
    this.idle.delete(key);
    const reused = conn !== undefined && !conn.closed && conn.bodyLeft === 0;
    if (!reused) {
      conn?.socket?.terminate();
      conn = this.open(t);
    }
    const c = conn as Conn;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<Error>((r) => {
      timer = setTimeout(() => r(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const up = await Promise.race([c.ready, timeout]);
      if (up) return { error: message(up) };
      const answer = new Promise<Head | Error>((r) => (c.waiting = r));
      c.socket.write(
        `GET ${t.path} HTTP/1.1\r\nHost: ${t.hostHeader ?? `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`}\r\n` +
          `User-Agent: halo-agent\r\nAccept: */*\r\n${keepAlive ? "" : "Connection: close\r\n"}\r\n`,
      );
      const head = await Promise.race([answer, timeout]);
      if (head instanceof Error) {
        c.waiting = null;
        c.socket?.terminate();
        // A kept-alive connection the server closed as the request went out: once more, afresh.
        if (reused && c.closed && !head.message.startsWith("no answer"))
          return this.get(t, timeoutMs, keepAlive);
        return { error: message(head) };
      }
      if (keepAlive && c.reusable && !c.closed) this.idle.set(key, c);
      else c.socket.end();
      return { status: head.status, cert: c.cert };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the kept-alive connections to one host:port (any scheme). */
  forget(host: string, port: number): void {
    for (const [k, c] of this.idle)
      if (k.includes(`|${host}|${port}|`)) {
        c.socket?.terminate();
        this.idle.delete(k);
      }
  }

  close(): void {
    for (const c of this.idle.values()) c.socket?.terminate();
    this.idle.clear();
  }
}

/**
 * Checks apiservers' readiness: HTTPS `GET /readyz`, 200 within the timeout is ready, 401/403
 * alive with readiness unknown, anything else (5xx, a timeout, a refused connection, a failed
 * handshake) not ready. One kept-alive TLS connection per apiserver: a check at steady state
 * costs the master one small request, never a handshake. The certificate is verified against
 * `ca` when the node's config names the cluster CA, else not (readiness, not identity).
 */
export class ReadyzChecker {
  private readonly getter: StatusGetter;
  /** the CAs a presented certificate is matched against (the config's, a kubeconfig's) */
  knownCAs: X509Certificate[];

  constructor(
    ca: string | null,
    private readonly timeoutMs = 1000,
    /** record the certificate each server presented in its results */
    observe = false,
  ) {
    this.knownCAs = ca ? pemCertificates(ca) : [];
    this.getter = new StatusGetter(
      ca,
      observe ? (c) => (c.cert = peerCert(c.socket, this.knownCAs)) : undefined,
    );
  }

  /**
   * One check of `ip:port`. Without `keepAlive` the connection closes after the answer (a
   * drained master: this node must show no connection to it).
   */
  async check(address: string, keepAlive = true): Promise<ProbeResult> {
    const { host, port } = splitAddress(address);
    guardProbe(host, `the readiness check of ${address}`);
    const t0 = performance.now();
    const r = await this.getter.get(
      { host, port, tls: true, path: "/readyz" },
      this.timeoutMs,
      keepAlive,
    );
    if ("error" in r) return { ok: false, ms: since(t0), readiness: "not-ready", error: r.error };
    const result = readyzResult(r.status, since(t0));
    return r.cert ? { ...result, cert: r.cert } : result;
  }

  /** Closes the kept-alive connection to one address. */
  forget(address: string): void {
    const { host, port } = splitAddress(address);
    this.getter.forget(host, port);
  }

  /** Closes every kept-alive connection. */
  close(): void {
    this.getter.close();
  }
}
