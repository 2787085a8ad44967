import { createHash } from "node:crypto";

/**
 * Hex sha256 of a string's UTF-8 bytes; synchronous and identical in workerd (nodejs_compat),
 * Bun and Node, and native in each (the agent hashes every artifact of every bundle it takes).
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
