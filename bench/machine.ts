import { cpus, totalmem } from "node:os";

/** One line naming the machine a benchmark ran on, printed above its figures. */
export function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? "unknown cpu"} x${c.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}
