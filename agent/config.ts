import { readFileSync } from "node:fs";
import { z } from "zod";
import { ARTIFACT_KINDS, type ArtifactKind } from "../shared/bundle-schema.ts";
import { KINDS } from "../shared/kinds/registry.ts";
import { parseYaml } from "./yaml.ts";
import { err, ok, type Issue, type Result } from "../shared/result.ts";

/** How one artifact kind lands on this node. Every path and command comes from here, never the server. */
const AbsolutePath = z.string().startsWith("/", "must be an absolute path");
const Step = z.string().min(1).nullable().default(null);

export const KindConfigSchema = z
  .strictObject({
    /** the file (`path`) or files (`paths`, e.g. kubeconfigs) this kind writes here */
    path: AbsolutePath.optional(),
    paths: z.array(AbsolutePath).min(1).max(32).optional(),
    check: Step,
    reload: Step,
    health: Step,
    /** run when this node stops receiving the kind, after its file is removed */
    retire: Step,
  })
  .superRefine((k, ctx) => {
    if (k.path !== undefined && k.paths !== undefined)
      ctx.addIssue({ code: "custom", path: ["paths"], message: "set path or paths, not both" });
    if (k.path === undefined && k.paths === undefined)
      ctx.addIssue({ code: "custom", path: ["path"], message: "is required" });
  })
  .transform(({ path, paths, ...steps }) => ({
    paths: paths ?? (path === undefined ? [] : [path]),
    ...steps,
  }));
export type KindConfig = z.output<typeof KindConfigSchema>;

export const AgentConfigSchema = z.strictObject({
  artifacts: z.partialRecord(z.enum(ARTIFACT_KINDS), KindConfigSchema).default({}),
  /** seconds a health probe may take to pass after a reload */
  healthTimeout: z.number().positive().max(600).default(15),
  /** seconds between config polls while the WebSocket is down */
  pollInterval: z.number().positive().max(3600).default(30),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Defaults for a systemd host running Debian's nginx and HAProxy and halo's etcd proxy unit. */
export const DEFAULT_ARTIFACTS = Object.fromEntries(
  KINDS.map((k) => [k.kind, { ...k.defaults }]),
) as Record<ArtifactKind, KindConfig>;

/**
 * Reads the agent config (YAML or JSON). Kinds the file leaves out keep their defaults; a
 * kind set to null is not managed on this node.
 */
export function loadAgentConfig(file: string | undefined): Result<AgentConfig, Issue[]> {
  let doc: unknown = {};
  if (file !== undefined) {
    try {
      doc = parseYaml(readFileSync(file, "utf8")) ?? {};
    } catch (e) {
      return err([{ path: file, message: e instanceof Error ? e.message : String(e) }]);
    }
  }
  const raw = (doc ?? {}) as { artifacts?: Record<string, unknown> };
  const artifacts: Record<string, unknown> = { ...DEFAULT_ARTIFACTS };
  for (const [k, v] of Object.entries(raw.artifacts ?? {})) {
    if (v === null) delete artifacts[k];
    else {
      const given = v as Record<string, unknown>;
      const base: Record<string, unknown> = Object.hasOwn(DEFAULT_ARTIFACTS, k)
        ? { ...DEFAULT_ARTIFACTS[k as ArtifactKind] }
        : {};
      // A path given here replaces the default's paths.
      if ("path" in given || "paths" in given) delete base.paths;
      artifacts[k] = { ...base, ...given };
    }
  }
  const parsed = AgentConfigSchema.safeParse({ ...raw, artifacts });
  if (!parsed.success) {
    return err(
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    );
  }
  return ok(parsed.data);
}
