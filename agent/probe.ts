import { socketError } from "./readyz.ts";

/** Output kept from a command (its first 8 KiB): enough for an error, never a flood. */
const KEEP = 8192;

/**
 * Runs a local config command under `sh -c`; resolves with its exit code and output. In the
 * agent (Bun) through `Bun.spawn`, which costs the process far less memory than node's
 * child_process; under node (the agent's tests) through child_process, loaded when first used.
 */
export function runCommand(
  command: string,
  timeoutMs = 60_000,
): Promise<{ code: number; output: string }> {
  return typeof Bun !== "undefined"
    ? runWithBun(command, timeoutMs)
    : runWithNode(command, timeoutMs);
}

async function runWithBun(
  command: string,
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  let child: ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;
  try {
    child = Bun.spawn(["sh", "-c", command], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
  } catch (e) {
    return { code: 127, output: String(e) };
  }
  let output = "";
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const decoder = new TextDecoder();
  const drained = readers.map(async (r) => {
    try {
      for (;;) {
        const { done, value } = await r.read();
        if (done) return;
        if (output.length < KEEP) output += decoder.decode(value, { stream: true });
      }
    } catch {
      // Cancelled below: the command has exited.
    }
  });
  const code = await child.exited;
  // The output written before the exit, but not a daemon's that still holds the pipes.
  await Promise.race([Promise.all(drained), new Promise((r) => setTimeout(r, 20))]);
  for (const r of readers) void r.cancel().catch(() => {});
  // A command killed by a signal exits 128 + its number, as a shell reports it.
  return { code, output: output.trim() };
}

function runWithNode(
  command: string,
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  const { spawn } = process.getBuiltinModule("node:child_process");
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (d: Buffer) => {
      if (output.length < KEEP) output += d.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 127, output: String(e) });
    });
    // "exit", not "close": a command that starts a daemon leaves it holding our pipes.
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      setImmediate(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code: code ?? (signal ? 128 : 1), output: output.trim() });
      });
    });
  });
}

/** Whether something accepts TCP connections at host:port, within 2 s. */
function tcpAccepts(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: string | null, close?: () => void) => {
      close?.();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => done("timed out"), 2000);
    if (typeof Bun !== "undefined") {
      Bun.connect({
        hostname: host,
        port,
        socket: {
          open: (s) => done(null, () => s.end()),
          data: () => {},
          error: (_s, e) => done(socketError(e, host, port).message),
          connectError: (_s, e) => done(socketError(e, host, port).message),
        },
      }).catch((e: unknown) => done(socketError(e, host, port).message));
      return;
    }
    const s = process.getBuiltinModule("node:net").connect({ host, port });
    s.once("connect", () => done(null, () => s.destroy()));
    s.once("error", (e) => done(e.message, () => s.destroy()));
  });
}

async function probeOnce(probe: string, mark: string | null): Promise<string | null> {
  if (/^https?:\/\//.test(probe)) {
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return `${probe}: HTTP ${res.status}`;
      if (mark === null || (await res.text()).includes(mark)) return null;
      return `${probe}: answered by a config other than the one written (no ${mark}): the reload did not take effect`;
    } catch (e) {
      return `${probe}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const tcp = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(probe);
  if (tcp) {
    const error = await tcpAccepts(tcp[1] ?? "", Number(tcp[2]));
    return error === null ? null : `${probe}: ${error}`;
  }
  const r = await runCommand(probe, 10_000);
  return r.code === 0 ? null : `${probe}: exit ${r.code} ${r.output}`.trim();
}

/**
 * Waits for a health probe to pass: an http(s) URL answering 2xx (with `mark` in its body when
 * the new config declares one), a tcp://host:port accepting, or a command exiting 0. Retries
 * with a growing pause until the deadline.
 */
export async function waitHealthy(
  probe: string,
  timeoutMs: number,
  mark: string | null = null,
): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let pause = 50;
  for (;;) {
    const error = await probeOnce(probe, mark);
    if (error === null || Date.now() + pause > deadline) return error;
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 1000);
  }
}
