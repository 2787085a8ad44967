import { dirname, basename, join } from "node:path";
import type { ArtifactKind, Bundle } from "../shared/bundle-schema.ts";
import { sha256Hex } from "../shared/hash.ts";
import { mergeHostsBlock } from "../shared/render/hosts.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { AgentConfig, KindConfig } from "./config.ts";

/** One file the transaction writes: where, what, and how it is checked. */
export interface FileChange {
  kind: ArtifactKind;
  target: string;
  staged: string;
  backup: string;
  content: string;
  check: string | null;
}

/** The transaction for a bundle: files to replace, then each distinct reload and health probe once. */
export interface ApplyPlan {
  version: number;
  hash: string;
  files: FileChange[];
  reloads: string[];
  healths: string[];
}

/** Staged and backup names sit next to the target and end in no suffix an include glob matches. */
export function sideFiles(target: string): { staged: string; backup: string } {
  const dir = dirname(target);
  const base = basename(target);
  return { staged: join(dir, `.${base}.halo-new`), backup: join(dir, `.${base}.halo-old`) };
}

export const withRoot = (root: string, path: string) =>
  root === "/" || root === "" ? path : join(root, path);

/**
 * Decides what a bundle changes on this node, given the current contents of its targets.
 * Pure: the caller reads the files. Unchanged content is left alone (no write, no reload).
 */
export function planApply(
  bundle: Bundle,
  config: AgentConfig,
  root: string,
  read: (path: string) => string | null,
): Result<ApplyPlan, string> {
  const files: FileChange[] = [];
  const touched: KindConfig[] = [];
  for (const a of bundle.artifacts) {
    if (sha256Hex(a.content) !== a.sha256)
      return err(`artifact ${a.kind}: content does not match its sha256`);
    const kc = config.artifacts[a.kind];
    if (!kc) return err(`artifact ${a.kind}: this node's agent config does not manage it`);
    const target = withRoot(root, kc.path);
    const current = read(target);
    const content = a.kind === "hosts" ? mergeHostsBlock(current ?? "", a.content) : a.content;
    if (current === content) continue;
    files.push({ kind: a.kind, target, ...sideFiles(target), content, check: kc.check });
    touched.push(kc);
  }
  const distinct = (xs: Array<string | null>) => [
    ...new Set(xs.filter((x): x is string => x !== null)),
  ];
  return ok({
    version: bundle.version,
    hash: bundle.hash,
    files,
    reloads: distinct(touched.map((k) => k.reload)),
    healths: distinct(touched.map((k) => k.health)),
  });
}

/** Quotes a path for `sh -c`, so `{staged}` stays one argument whatever it holds. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function fillStaged(command: string, staged: string): string {
  return command.replaceAll("{staged}", shellQuote(staged));
}
