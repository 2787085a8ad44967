import { Agent, request } from "node:https";
import { readinessOf, type ProbeResult } from "../shared/live.ts";
import type { X509Certificate } from "node:crypto";
import { peerCert, pemCertificates } from "./certs.ts";
import { guardProbe } from "./loopback-guard.ts";

const since = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const message = (e: unknown) =>
  (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f]/g, " ").slice(0, 200);

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

/**
 * Checks apiservers' readiness: HTTPS `GET /readyz`, 200 within the timeout is ready, 401/403
 * alive with readiness unknown, anything else (5xx, a timeout, a refused connection, a failed
 * handshake) not ready. One kept-alive TLS connection per apiserver: a check at steady state
 * costs the master one small request, never a handshake. The certificate is verified against
 * `ca` when the node's config names the cluster CA, else not (readiness, not identity).
 */
export class ReadyzChecker {
  private readonly agents = new Map<string, Agent>();
  /** the CAs a presented certificate is matched against (the config's, a kubeconfig's) */
  knownCAs: X509Certificate[];

  constructor(
    private readonly ca: string | null,
    private readonly timeoutMs = 1000,
    /** record the certificate each server presented in its results */
    private readonly observe = false,
  ) {
    this.knownCAs = pemCertificates(ca);
  }

  private agentFor(address: string): Agent {
    let a = this.agents.get(address);
    if (!a) {
      a = new Agent({
        keepAlive: true,
        maxSockets: 1,
        ...(this.ca ? { ca: this.ca } : { rejectUnauthorized: false }),
      });
      this.agents.set(address, a);
    }
    return a;
  }

  /**
   * One check of `ip:port`. Without `keepAlive` the connection closes after the answer (a
   * drained master: this node must show no connection to it).
   */
  check(address: string, keepAlive = true): Promise<ProbeResult> {
    const { host, port } = splitAddress(address);
    guardProbe(host, `the readiness check of ${address}`);
    const t0 = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const req = request(
        {
          host,
          port,
          path: "/readyz",
          method: "GET",
          ...(keepAlive ? { agent: this.agentFor(address) } : { agent: false }),
          ...(keepAlive || this.ca ? {} : { rejectUnauthorized: false }),
          ...(!keepAlive && this.ca ? { ca: this.ca } : {}),
        },
        (res) => {
          res.resume();
          res.on("error", () => {});
          const r = readyzResult(res.statusCode ?? 0, since(t0));
          const cert = this.observe ? peerCert(res.socket, this.knownCAs) : null;
          done(cert ? { ...r, cert } : r);
        },
      );
      const timer = setTimeout(() => {
        // A hung apiserver's connection is not reused: the next check starts afresh.
        req.destroy();
        done({
          ok: false,
          ms: since(t0),
          readiness: "not-ready",
          error: `no answer in ${this.timeoutMs} ms`,
        });
      }, this.timeoutMs);
      req.on("error", (e) =>
        done({ ok: false, ms: since(t0), readiness: "not-ready", error: message(e) }),
      );
      req.end();
    });
  }

  /** Closes the kept-alive connection to one address. */
  forget(address: string): void {
    this.agents.get(address)?.destroy();
    this.agents.delete(address);
  }

  /** Closes every kept-alive connection. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}
