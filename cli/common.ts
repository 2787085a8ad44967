/** What every command shares: flags, the cluster chosen, asking, the API's shapes. */
import { createInterface } from "node:readline/promises";
import { CliError, EXIT } from "./client.ts";
import { loadConfig } from "./config.ts";

export interface Flags {
  server?: string;
  token?: string;
  cluster?: string;
  file?: string;
  yes: boolean;
  json: boolean;
  groups?: string;
  hosts?: string;
  drift?: string;
  probeInterval?: string;
  limit?: string;
  prune: boolean;
  ttl?: string;
  maxUses?: string;
  interval?: string;
}

export type Out = (s: string) => void;

export function clusterOf(f: Flags): string {
  const c = f.cluster || process.env.HALO_CLUSTER || loadConfig().cluster;
  if (!c)
    throw new CliError(
      "no cluster: pass --cluster NAME (or set one with `halo login --cluster`)",
      EXIT.usage,
    );
  return c;
}

export interface Summary {
  name: string;
  version: number;
  stableVersion: number;
  nodes: { hosts: number; registered: number; connected: number; applied: number; failed: number };
  rollout: { id: number; state: string; wave: number; waveCount: number } | null;
}

export interface Plan {
  version: number;
  changed: string[];
  removed: string[];
  retried?: boolean;
  profile?: { name: string; reason: string };
  preview: Array<{
    host: string;
    kinds: string[];
    retired: string[];
    apiserver: { before: string | null; after: string | null };
  }>;
}

/** What a PUT would do, in plain words: changed hosts, removed hosts on their own. */

export async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new CliError("not a terminal: pass --yes to apply without asking", EXIT.declined);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The body to PUT: a file as it is, or an Ansible inventory directory merged into JSON. */

export interface NodeRow {
  host: string;
  groups: string[];
  desired: { version: number; hash: string };
  applied: { version: number; hash: string } | null;
  status: string;
  connected: boolean;
  lastError: string | null;
  apiserver: { url: string; ok: boolean | null; ms: number | null };
  drift: string[];
}
