import { readFileSync } from "node:fs";
import * as z from "zod/mini";
import { ARTIFACT_KINDS, type ArtifactKind } from "../shared/bundle-schema.ts";
import { KINDS, kindsWith } from "../shared/kinds/registry.ts";
import { parseYaml } from "./yaml.ts";
import { err, issuesOf, ok, type Issue, type Result } from "../shared/result.ts";

/** How one artifact kind lands on this node. Every path and command comes from here, never the server. */
const AbsolutePath = z.string().check(z.startsWith("/", "must be an absolute path"));
const Step = z._default(z.nullable(z.string().check(z.minLength(1))), null);

export const KindConfigSchema = z.pipe(
  z
    .strictObject({
      /** the file (`path`) or files (`paths`, e.g. kubeconfigs) this kind writes here */
      path: z.optional(AbsolutePath),
      paths: z.optional(z.array(AbsolutePath).check(z.minLength(1), z.maxLength(32))),
      check: Step,
      reload: Step,
      health: Step,
      /** run when this node stops receiving the kind, after its file is removed */
      retire: Step,
      /**
       * Leave the file as last written when the kind is retired (or the agent leaves): for a
       * proxy that another manager runs and restarts from that file (Kubespray's static pod).
       */
      keepOnRetire: z._default(z.boolean(), false),
    })
    .check(
      z.superRefine((k, ctx) => {
        if (k.path !== undefined && k.paths !== undefined)
          ctx.addIssue({ code: "custom", path: ["paths"], message: "set path or paths, not both" });
        if (k.path === undefined && k.paths === undefined)
          ctx.addIssue({ code: "custom", path: ["path"], message: "is required" });
      }),
    ),
  z.transform(({ path, paths, ...steps }) => ({
    paths: paths ?? (path === undefined ? [] : [path]),
    ...steps,
  })),
);
export type KindConfig = z.output<typeof KindConfigSchema>;

const Seconds = (max: number, fallback: number) =>
  z._default(z.number().check(z.positive(), z.lte(max)), fallback);

export const AgentConfigSchema = z.strictObject({
  artifacts: z._default(z.partialRecord(z.enum(ARTIFACT_KINDS), KindConfigSchema), {}),
  /** seconds a health probe may take to pass after a reload */
  healthTimeout: Seconds(600, 15),
  /** seconds between config polls while the WebSocket is down */
  pollInterval: Seconds(3600, 30),
  /**
   * The cluster CA (PEM file) that apiservers' certificates are verified against when the
   * agent checks their `/readyz`; without it the check does not verify (readiness, not identity).
   */
  apiserverCA: z.optional(AbsolutePath),
  /**
   * On a master: where its apiserver's serving certificate may be (the first that exists is
   * read and reported, so the control plane knows what it serves before any node probes it).
   * kubeadm's path, then Kubespray's; [] reads none.
   */
  apiserverCert: z._default(z.array(AbsolutePath).check(z.maxLength(8)), [
    "/etc/kubernetes/pki/apiserver.crt",
    "/etc/kubernetes/ssl/apiserver.crt",
  ]),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Defaults for a systemd host running Debian's nginx and HAProxy and halo's etcd proxy unit. */
export const DEFAULT_ARTIFACTS = Object.fromEntries(
  KINDS.map((k) => [k.kind, { ...k.defaults, keepOnRetire: false }]),
) as Record<ArtifactKind, KindConfig>;

/**
 * Kinds managed only where the config names them: `kubeconfig` restarts kubelet pointed at a
 * new apiserver, which a node opts into, never gets by default.
 */
export const OPT_IN = kindsWith("optIn") as readonly ArtifactKind[];

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
  const artifacts: Record<string, unknown> = Object.fromEntries(
    Object.entries(DEFAULT_ARTIFACTS).filter(([k]) => !OPT_IN.includes(k as ArtifactKind)),
  );
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
  const parsed = z.safeParse(AgentConfigSchema, { ...raw, artifacts });
  if (!parsed.success) {
    return err(issuesOf(parsed.error.issues));
  }
  return ok(parsed.data);
}
