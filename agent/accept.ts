import {
  bundleHash,
  WireArtifactSchema,
  type Artifact,
  type Bundle,
  type WireBundle,
} from "../shared/bundle-schema.ts";
import { sha256Hex } from "../shared/hash.ts";
import { kindModule, RENDERER_VERSION } from "../shared/kinds/registry.ts";
import { err, ok, type Result } from "../shared/result.ts";

/**
 * This node's own change to a spec before it renders what it installs (the nginx LB's backends
 * taken out after failed readiness checks); the sha256 is checked on the spec as it came.
 */
export type LocalAdjust = (kind: string, spec: unknown) => unknown;

/** A bundle this node will install, and the kinds in it that its config does not manage. */
export interface Accepted {
  bundle: Bundle;
  skipped: string[];
}

/**
 * Turns what the server sent into files, or refuses it with a reason before anything is
 * written: another renderer version, an artifact that is not `{kind, spec, sha256}` (raw
 * `content` included), a spec its kind's schema refuses, the same kind twice, a rendering whose
 * sha256 differs, a bundle hash that does not cover its artifacts. The node renders every file
 * itself: no content, path or command ever comes from the server.
 */
export function acceptBundle(
  wire: WireBundle,
  manages: (kind: string) => boolean,
  adjust?: LocalAdjust,
): Result<Accepted, string> {
  if (wire.renderer !== RENDERER_VERSION)
    return err(
      `renderer version: the bundle needs renderers v${wire.renderer}, this agent has v${RENDERER_VERSION}`,
    );
  const artifacts: Artifact[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of wire.artifacts.entries()) {
    const parsed = WireArtifactSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = ["artifacts", i, ...(issue?.path ?? [])].map(String).join(".");
      return err(`${at}: ${issue?.message ?? "invalid"}`);
    }
    const a = parsed.data;
    if (seen.has(a.kind)) return err(`artifacts.${i}: kind ${a.kind} appears twice`);
    seen.add(a.kind);
    const k = kindModule(a.kind);
    if (!k) return err(`artifacts.${i}: unknown kind ${a.kind}`);
    const content = k.render(a.spec);
    if (sha256Hex(content) !== a.sha256)
      return err(`artifacts.${i}: ${a.kind}: this agent's rendering does not match its sha256`);
    const local = adjust ? adjust(a.kind, a.spec) : a.spec;
    artifacts.push({
      kind: a.kind,
      spec: a.spec,
      sha256: a.sha256,
      content: local === a.spec ? content : k.render(local),
    });
  }
  if (bundleHash(artifacts) !== wire.hash)
    return err("hash: the bundle hash does not cover its artifacts");
  const skipped = artifacts.filter((a) => !manages(a.kind)).map((a) => a.kind);
  return ok({
    bundle: {
      version: wire.version,
      hash: wire.hash,
      artifacts: artifacts.filter((a) => manages(a.kind)),
    },
    skipped,
  });
}
