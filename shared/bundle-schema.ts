import * as z from "zod/mini";
import { sha256Hex } from "./hash.ts";
import { KIND_NAMES, kindModule, type ArtifactKind } from "./kinds/registry.ts";

/** The wire shape of a bundle, on its own so the agent loads it without the whole core. */
export { KIND_NAMES as ARTIFACT_KINDS, type ArtifactKind };
export const ArtifactKindSchema = z.enum(KIND_NAMES);

const Sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest"));

/** On the wire an artifact is data: the kind, its typed spec, and the sha256 of its rendering. */
export interface WireArtifact {
  kind: ArtifactKind;
  spec: unknown;
  sha256: string;
}

/** A rendered artifact, as the control plane shows it and the agent installs it. */
export interface Artifact extends WireArtifact {
  content: string;
}

/** What a node should run: content-addressed (the hash covers kinds and contents, not the version). */
export interface Bundle {
  version: number;
  hash: string;
  artifacts: Artifact[];
}

/**
 * A bundle as it travels: its envelope is checked here, its artifacts one by one by the agent
 * (so a refused artifact is answered with a reason, not dropped as a bad frame).
 */
export const WireBundleSchema = z.strictObject({
  version: z.int().check(z.nonnegative()),
  hash: Sha256,
  renderer: z.int().check(z.nonnegative()),
  artifacts: z.array(z.unknown()).check(z.maxLength(64)),
});
export type WireBundle = z.infer<typeof WireBundleSchema>;

/** One wire artifact, strictly: a known kind, its spec schema, no other field (never `content`). */
export const WireArtifactSchema = z
  .strictObject({ kind: ArtifactKindSchema, spec: z.unknown(), sha256: Sha256 })
  .check(
    z.superRefine((a, ctx) => {
      const k = kindModule(a.kind);
      const parsed = k ? z.safeParse(k.spec, a.spec) : null;
      if (parsed && !parsed.success)
        for (const i of parsed.error.issues)
          ctx.addIssue({ code: "custom", path: ["spec", ...i.path], message: i.message });
    }),
  );

/** The wire form of a bundle: specs only, no rendered content. */
export function toWire(b: Bundle, renderer: number): WireBundle {
  return {
    version: b.version,
    hash: b.hash,
    renderer,
    artifacts: b.artifacts.map(({ kind, spec, sha256 }) => ({ kind, spec, sha256 })),
  };
}

/** The bundle hash covers kinds and contents, not the version or the order kinds were added. */
export function bundleHash(artifacts: ReadonlyArray<{ kind: string; sha256: string }>): string {
  return sha256Hex(
    [...artifacts]
      .sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))
      .map((a) => `${a.kind} ${a.sha256}\n`)
      .join(""),
  );
}
