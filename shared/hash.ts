/** Bun's hasher, where the code runs in Bun (the agent). */
const bunHasher = (
  globalThis as {
    Bun?: {
      CryptoHasher: new (alg: "sha256") => { update(t: string): { digest(enc: "hex"): string } };
    };
  }
).Bun?.CryptoHasher;

/**
 * Hex sha256 of a string's UTF-8 bytes; synchronous and identical in workerd (nodejs_compat),
 * Bun and Node, and native in each (the agent hashes every artifact of every bundle it takes).
 * Bun's own hasher in the agent, which then never loads node:crypto; node:crypto elsewhere,
 * loaded when first used.
 */
export function sha256Hex(text: string): string {
  if (bunHasher) return new bunHasher("sha256").update(text).digest("hex");
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(text).digest("hex");
}
