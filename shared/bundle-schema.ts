import { z } from "zod";

/** The wire shape of a bundle, on its own so the agent loads it without the whole core. */
export const ARTIFACT_KINDS = ["endpoints", "etcd-proxy", "haproxy", "hosts", "nginx"] as const;
export const ArtifactKindSchema = z.enum(ARTIFACT_KINDS);
export type ArtifactKind = z.infer<typeof ArtifactKindSchema>;

export const ArtifactSchema = z.strictObject({
  kind: ArtifactKindSchema,
  content: z.string().max(1_000_000),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

export const BundleSchema = z.strictObject({
  version: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  artifacts: z.array(ArtifactSchema).max(ARTIFACT_KINDS.length),
});
export type Bundle = z.infer<typeof BundleSchema>;
