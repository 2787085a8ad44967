import { basename, dirname, join } from "node:path";
import type { ArtifactKind, Bundle } from "../shared/bundle-schema.ts";
import { kindModule } from "../shared/kinds/registry.ts";
import type { AgentConfig, KindConfig } from "./config.ts";
import { healthMark } from "../shared/health-mark.ts";

/** One file the transaction writes or removes: where, what, and how it is checked. */
export interface FileChange {
  kind: ArtifactKind;
  target: string;
  staged: string;
  backup: string;
  /** the new content, or null to remove the file (a retired kind) */
  content: string | null;
  check: string | null;
  /** a parse the agent runs on the staged content itself */
  parse?: "kubeconfig";
}

/** The transaction for a bundle: files to replace or remove, then each distinct command once. */
export interface ApplyPlan {
  version: number;
  hash: string;
  kinds: ArtifactKind[];
  files: FileChange[];
  reloads: string[];
  retires: string[];
  /** each distinct health probe once, with the mark its answer must carry (see health-mark) */
  healths: HealthProbe[];
  /** kinds this bundle no longer has that the node had: their files go, their retire runs */
  retired: ArtifactKind[];
}

/** A health probe after the reload; `mark`: what an http answer must contain (this config's id). */
export interface HealthProbe {
  probe: string;
  mark: string | null;
}

/** Staged and backup names sit next to the target and end in no suffix an include glob matches. */
export function sideFiles(target: string): { staged: string; backup: string } {
  const dir = dirname(target);
  const base = basename(target);
  return { staged: join(dir, `.${base}.halo-new`), backup: join(dir, `.${base}.halo-old`) };
}

export const withRoot = (root: string, path: string) =>
  root === "/" || root === "" ? path : join(root, path);

const distinct = (xs: Array<string | null>) => [
  ...new Set(xs.filter((x): x is string => x !== null)),
];

/**
 * Decides what a bundle changes on this node, given the current contents of its targets and
 * the kinds it applied last. Pure: the caller reads the files and resolves the paths (a
 * symlinked path is followed to its target). Unchanged content is left alone (no write, no
 * reload); a kind the node had and the bundle no longer carries is retired.
 */
export function planApply(
  bundle: Bundle,
  config: AgentConfig,
  previous: ReadonlyArray<string>,
  io: { read: (path: string) => string | null; target: (path: string) => string },
): ApplyPlan {
  const files: FileChange[] = [];
  const touched = new Set<KindConfig>();
  const present = new Set<string>(bundle.artifacts.map((a) => a.kind));
  const change = (
    kind: ArtifactKind,
    kc: KindConfig,
    next: (cur: string | null) => string | null,
  ) => {
    const k = kindModule(kind);
    for (const path of kc.paths) {
      const target = io.target(path);
      const current = io.read(target);
      if (current === null && k?.onlyExisting) continue;
      const content = next(current);
      if (current === content) continue;
      files.push({
        kind,
        target,
        ...sideFiles(target),
        content,
        check: content === null ? null : kc.check,
        parse: content === null ? undefined : k?.parseCheck,
      });
      touched.add(kc);
    }
  };
  for (const a of bundle.artifacts) {
    const kc = config.artifacts[a.kind];
    if (!kc) continue;
    const merge = kindModule(a.kind)?.merge;
    change(a.kind, kc, (cur) => (merge ? merge.into(cur ?? "", a.content) : a.content));
  }
  const retired: ArtifactKind[] = [];
  for (const kind of previous) {
    const kc = config.artifacts[kind as ArtifactKind];
    if (present.has(kind) || !kc) continue;
    retired.push(kind as ArtifactKind);
    if (kc.keepOnRetire) continue;
    const merge = kindModule(kind)?.merge;
    // A shared file (hosts) loses only its part; a file of its own is removed.
    change(kind as ArtifactKind, kc, (cur) =>
      cur === null ? null : merge ? merge.remove(cur) : null,
    );
  }
  const retiredConfigs = retired.map((k) => config.artifacts[k]).filter((k) => k !== undefined);
  const writing = [...touched].filter((k) => !retiredConfigs.includes(k));
  return {
    version: bundle.version,
    hash: bundle.hash,
    kinds: bundle.artifacts.map((a) => a.kind),
    files,
    reloads: distinct(writing.map((k) => k.reload)),
    retires: distinct(retiredConfigs.map((k) => k.retire)),
    healths: healthProbes(writing, files, config),
    retired,
  };
}

/** Each writing kind's health probe once, with the mark its new file declares. */
function healthProbes(
  writing: KindConfig[],
  files: FileChange[],
  config: AgentConfig,
): HealthProbe[] {
  const out = new Map<string, string | null>();
  for (const kc of writing) {
    if (kc.health === null) continue;
    const mark =
      files
        .filter((f) => config.artifacts[f.kind] === kc)
        .map((f) => healthMark(f.content))
        .find((m) => m !== null) ?? null;
    out.set(kc.health, out.get(kc.health) ?? mark);
  }
  return [...out].map(([probe, mark]) => ({ probe, mark }));
}

/** Quotes a path for `sh -c`, so `{staged}` stays one argument whatever it holds. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function fillStaged(command: string, staged: string): string {
  return command.replaceAll("{staged}", shellQuote(staged));
}
