import { join } from "node:path";
import * as z from "zod/mini";
import { readOrNull, writeAtomic } from "./fs-atomic.ts";

/** What `join` stores: where the control plane is and this node's own credential. */
export const CredentialSchema = z.strictObject({
  server: z.url(),
  cluster: z.string(),
  host: z.string(),
  nodeToken: z.string(),
});
export type Credential = z.infer<typeof CredentialSchema>;

const path = (stateDir: string) => join(stateDir, "credential.json");

/** Written 0600: only root reads the node's credential. */
export function saveCredential(stateDir: string, c: Credential): void {
  writeAtomic(path(stateDir), JSON.stringify(c, null, 2) + "\n", 0o600);
}

export function loadCredential(stateDir: string): Credential | null {
  const text = readOrNull(path(stateDir));
  if (text === null) return null;
  return z.parse(CredentialSchema, JSON.parse(text));
}
