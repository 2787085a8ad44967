import { readdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** One line naming the machine a benchmark ran on, printed above its figures. */
export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? "unknown cpu"} x${c.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/**
 * CPU time of a process so far, ms: the sum over its threads of /proc's schedstat (nanoseconds,
 * where /proc/PID/stat counts 10 ms clock ticks). A thread that ended is not counted, so take
 * it before and after a window on a long-lived process.
 */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}
