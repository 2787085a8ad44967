import { isIPv4 } from "../shared/net.ts";

/**
 * The exit code of an agent that was told to stay on loopback (`HALO_LOOPBACK_ONLY=1`, set by
 * the tests, the demo and the bench) and was given anything else to probe.
 */
export const LOOPBACK_GUARD_EXIT = 86;

const guarded = () => process.env.HALO_LOOPBACK_ONLY === "1";

/** Whether an address is on this machine's loopback (127.0.0.0/8, ::1, ::ffff:127.x). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIPv4(v4) && v4.startsWith("127.");
}

/**
 * Under `HALO_LOOPBACK_ONLY=1`, an agent about to send a packet beyond loopback stops at once,
 * naming the target: a test or demo topology that would probe someone's network fails loudly
 * instead of probing it. Without the variable, nothing is checked.
 */
export function guardProbe(host: string, what: string): void {
  if (!guarded() || isLoopback(host)) return;
  process.stderr.write(
    `halo-agent: HALO_LOOPBACK_ONLY is set and ${what} targets ${host}, which is not on loopback; stopping\n`,
  );
  process.exit(LOOPBACK_GUARD_EXIT);
}
