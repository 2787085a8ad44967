import type { z } from "zod";
import * as S from "../shared/api-schemas.ts";
/** What every command shares: flags, the cluster chosen, asking, the API's shapes. */
import { createInterface } from "node:readline/promises";
import { CliError, EXIT } from "./client.ts";
import { loadConfig } from "./config.ts";
import { table } from "./format.ts";

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
  grace?: string;
  tokenFile?: string;
  checkInterval?: string;
  certWarningDays?: string;
  wait: boolean;
  /** apply even where the masters' observed certificates do not cover a node's new name */
  force: boolean;
}

export type Out = (s: string) => void;

/** A command with a sub-command and one argument (`halo token revoke ID`); its exit code. */
export type SubCommand = (
  sub: string | undefined,
  arg: string | undefined,
  f: Flags,
  out: Out,
) => Promise<number>;

/** A read's answer: the items as JSON with --json, else a table of one row per item. */
export function printList<T>(
  f: Flags,
  out: Out,
  items: T[],
  header: string[],
  row: (item: T) => string[],
): void {
  out(f.json ? JSON.stringify(items) : table(header, items.map(row)));
}

export function clusterOf(f: Flags): string {
  const c = f.cluster || process.env.HALO_CLUSTER || loadConfig().cluster;
  if (!c)
    throw new CliError(
      "no cluster: pass --cluster NAME (or set one with `halo login --cluster`)",
      EXIT.usage,
    );
  return c;
}

/** Response types, inferred from the schemas the API documents and the client parses with. */
export type Plan = z.output<typeof S.PutTopologyResponse>;
export type NodeRow = z.output<typeof S.NodeStatus>;

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
