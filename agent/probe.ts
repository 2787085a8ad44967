import { spawn } from "node:child_process";
import { connect } from "node:net";

/** Runs a local config command under `sh -c`; resolves with its exit code and output. */
export function runCommand(
  command: string,
  timeoutMs = 60_000,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (d: Buffer) => {
      if (output.length < 8192) output += d.toString("utf8");
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
    return new Promise((resolve) => {
      const s = connect({ host: tcp[1], port: Number(tcp[2]), timeout: 2000 });
      s.once("connect", () => (s.destroy(), resolve(null)));
      s.once("timeout", () => (s.destroy(), resolve(`${probe}: timed out`)));
      s.once("error", (e) => resolve(`${probe}: ${e.message}`));
    });
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
