import { bundleHash, type Artifact, type ArtifactKind, type Bundle } from "../../shared/bundle.ts";
import { sha256Hex } from "../../shared/hash.ts";

/** A bundle with the given contents, hashed as the control plane hashes them. */
export function makeBundle(
  version: number,
  contents: Partial<Record<ArtifactKind, string>>,
): Bundle {
  const artifacts: Artifact[] = Object.entries(contents)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, content]) => ({
      kind: kind as ArtifactKind,
      spec: null,
      content: content ?? "",
      sha256: sha256Hex(content ?? ""),
    }));
  return { version, hash: bundleHash(artifacts), artifacts };
}
