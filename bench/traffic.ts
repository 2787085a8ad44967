// Traffic through a node's LB as kubelet makes it: a new TLS connection per request, and a
// long-lived stream (a watch). Shared by the failover tests and the failover bench.
import { request } from "node:https";

/** Where requests go: a port on 127.0.0.1 (a localhost LB), or `ip:port` (an external LB). */
export type Lb = number | string;
const where = (lb: Lb) =>
  typeof lb === "number"
    ? { host: "127.0.0.1", port: lb }
    : { host: lb.slice(0, lb.lastIndexOf(":")), port: Number(lb.slice(lb.lastIndexOf(":") + 1)) };

/** One request over a new connection: the stand-in's name, or the error. */
export function once(
  lb: Lb,
  timeoutMs = 1000,
  path = "/",
): Promise<{ ok: boolean; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        ...where(lb),
        path,
        rejectUnauthorized: false,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () =>
          resolve(
            res.statusCode === 200
              ? { ok: true, body }
              : { ok: false, body, error: `HTTP ${res.statusCode}` },
          ),
        );
        res.on("error", (e) => resolve({ ok: false, body, error: e.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ ok: false, body: "", error: e.message }));
    req.end();
  });
}

export interface Sample {
  /** ms since the sampling started */
  at: number;
  ok: boolean;
  body: string;
}

/** A new request every `everyMs` for `forMs`, each on its own connection with 1 s to answer. */
export async function sample(lb: Lb, forMs: number, everyMs = 100): Promise<Sample[]> {
  const t0 = performance.now();
  const pending: Array<Promise<Sample>> = [];
  while (performance.now() - t0 < forMs) {
    const at = performance.now() - t0;
    pending.push(once(lb).then((r) => ({ at, ok: r.ok, body: r.body })));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Promise.all(pending);
}

/** A new request every `everyMs` until `done` settles: what clients saw while something ran. */
export async function sampleWhile(
  lb: Lb,
  done: Promise<unknown>,
  everyMs = 100,
): Promise<Sample[]> {
  let over = false;
  void done.finally(() => (over = true));
  const t0 = performance.now();
  const pending: Array<Promise<Sample>> = [];
  while (!over) {
    const at = performance.now() - t0;
    pending.push(once(lb).then((r) => ({ at, ok: r.ok, body: r.body })));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Promise.all(pending);
}

/** When requests stopped failing (ms after the start; 0 if none failed), and how many failed. */
export function recovery(samples: Sample[]): { lastFailureMs: number; failed: number } {
  const failed = samples.filter((s) => !s.ok);
  return { lastFailureMs: failed.at(-1)?.at ?? 0, failed: failed.length };
}

/**
 * Opens a watch through the LB until one lands on `name` (the stand-in answers its name
 * first); resolves with a function that resolves, in turn, when that stream closes.
 */
export async function streamOn(
  lb: Lb,
  name: string,
  tries = 40,
): Promise<{ closed: Promise<number>; destroy: () => void }> {
  for (let i = 0; i < tries; i++) {
    const got = await new Promise<{ closed: Promise<number>; destroy: () => void } | null>(
      (resolve) => {
        const req = request(
          { ...where(lb), path: "/watch", rejectUnauthorized: false, agent: false },
          (res) => {
            res.once("data", (d: Buffer) => {
              if (!d.toString().startsWith(name)) {
                req.destroy();
                return resolve(null);
              }
              const closed = new Promise<number>((r) => {
                const done = () => r(performance.now());
                res.once("close", done);
                res.once("error", done);
                req.once("error", done);
              });
              resolve({ closed, destroy: () => req.destroy() });
            });
          },
        );
        req.on("error", () => resolve(null));
        req.end();
      },
    );
    if (got) return got;
  }
  throw new Error(`no stream landed on ${name} in ${tries} tries`);
}
